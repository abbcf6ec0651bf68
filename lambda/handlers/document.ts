import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PipelineError } from '../pipeline/errors';
import { dynamoDbClient, s3Client } from '../runtime/clients';
import { required } from '../runtime/config';
import { DocumentClaims } from '../runtime/document-claims';
import { logInfo, logWarn } from '../runtime/log';
import { uploadedObjects, UploadedObject } from '../runtime/s3-events';
import { runTextRequest } from '../runtime/text-request';

const resultsTable = required(process.env, 'RESULTS_TABLE');
/** Objects above this are refused without being read: no text of that size fits a prompt limit. */
const MAX_DOCUMENT_BYTES = Number(process.env.MAX_DOCUMENT_BYTES ?? 5 * 1024 * 1024);
const DOCUMENT_INSTRUCTIONS = 'Summarize the document in at most five sentences, then list its key facts.';

/** The outcome for one object. */
export interface DocumentResult {
  readonly key: string;
  readonly versionId: string;
  readonly status: 'processed' | 'duplicate' | 'rejected';
  readonly reason?: string;
  readonly costUsd?: number;
}

let claims: DocumentClaims | undefined;

/**
 * S3 object created (EventBridge or S3 notification) → the request pipeline on the document's text → a result item
 * keyed by object key and version. A repeated delivery of the same version is processed and charged once; a
 * document over the size or prompt limit is recorded as rejected with the reason, never truncated.
 */
export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<{ results: DocumentResult[] }> {
  claims ??= new DocumentClaims(dynamoDbClient(), resultsTable);
  const objects = uploadedObjects(event);
  if (objects.length === 0) logWarn('event announces no created object', { event });
  const results: DocumentResult[] = [];
  for (const object of objects) results.push(await processObject(object, context?.awsRequestId ?? `local-${Date.now()}`));
  return { results };
}

async function processObject(object: UploadedObject, deliveryId: string): Promise<DocumentResult> {
  const base = { key: object.key, versionId: object.versionId };
  if (!(await claims!.claim(object, deliveryId))) {
    logInfo('duplicate delivery ignored', base);
    return { ...base, status: 'duplicate' };
  }
  if (object.size > MAX_DOCUMENT_BYTES) {
    const reason = `The document has ${object.size} bytes; at most ${MAX_DOCUMENT_BYTES} are processed.`;
    await claims!.reject(object, 'DOCUMENT_TOO_LARGE', reason);
    return { ...base, status: 'rejected', reason };
  }
  try {
    const response = await s3Client().send(new GetObjectCommand({
      Bucket: object.bucket, Key: object.key, VersionId: object.versionId === 'null' ? undefined : object.versionId,
    }));
    const text = await response.Body!.transformToString('utf8');
    const result = await runTextRequest(`${deliveryId}:${object.key}`, 's3', text, DOCUMENT_INSTRUCTIONS);
    await claims!.complete(object, result);
    logInfo('document processed', { ...base, model: result.model.id, usage: result.usage, costUsd: result.cost.totalUsd });
    return { ...base, status: 'processed', costUsd: result.cost.totalUsd };
  } catch (error) {
    if (error instanceof PipelineError && error.status < 429) {
      await claims!.reject(object, error.code, error.message);
      return { ...base, status: 'rejected', reason: error.message };
    }
    // Throttled or failed: give the claim back and fail, so Lambda's retry (then the DLQ) takes the document.
    await claims!.release(object);
    throw error;
  }
}
