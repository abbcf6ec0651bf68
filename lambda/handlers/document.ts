import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PipelineError } from '../pipeline/errors';
import { dynamoDbClient, s3Client } from '../runtime/clients';
import { required } from '../runtime/config';
import { DEFAULT_CLAIM_STALE_SECONDS, DocumentClaims, DocumentInProgressError } from '../runtime/document-claims';
import { logInfo, logWarn } from '../runtime/log';
import { uploadedObjects, UploadedObject } from '../runtime/s3-events';
import { runTextRequest } from '../runtime/text-request';

const resultsTable = required(process.env, 'RESULTS_TABLE');
/** Objects above this are refused without being read: no text of that size fits a prompt limit. */
const MAX_DOCUMENT_BYTES = Number(process.env.MAX_DOCUMENT_BYTES ?? 5 * 1024 * 1024);
const DOCUMENT_INSTRUCTIONS = 'Summarize the document in at most five sentences, then list its key facts.';
/** Set by the construct to the function's timeout plus a minute: no live invocation's claim is ever taken over. */
const CLAIM_STALE_SECONDS = Number(process.env.CLAIM_STALE_SECONDS ?? DEFAULT_CLAIM_STALE_SECONDS);
/** Content types that are never text, whatever the bytes look like. application/octet-stream is left to the bytes. */
const BINARY_CONTENT_TYPE = /^(image|audio|video|font)\/|^application\/(pdf|zip|gzip|x-gzip|x-tar|x-bzip2|x-7z-compressed|x-rar-compressed|msword|vnd\.ms-|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.)/;
/** How much of the start is searched for a NUL byte. */
const SNIFF_BYTES = 8 * 1024;
/** The share of U+FFFD (bytes that are not UTF-8) above which the document is not taken for UTF-8 text. */
const MAX_INVALID_SHARE = 0.01;

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
 * keyed by object key and version. A repeated delivery of the same version is processed and charged once; one that
 * arrives while another delivery holds a fresh claim fails with {@link DocumentInProgressError}, for Lambda to retry.
 * A document over the size or prompt limit, or one that is not text, is recorded as rejected with the reason, never
 * truncated or sent to the model.
 */
export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<{ results: DocumentResult[] }> {
  claims ??= new DocumentClaims(dynamoDbClient(), resultsTable, CLAIM_STALE_SECONDS);
  const objects = uploadedObjects(event);
  if (objects.length === 0) logWarn('event announces no created object', { event });
  const results: DocumentResult[] = [];
  for (const object of objects) results.push(await processObject(object, context?.awsRequestId ?? `local-${Date.now()}`));
  return { results };
}

async function processObject(object: UploadedObject, deliveryId: string): Promise<DocumentResult> {
  const base = { key: object.key, versionId: object.versionId };
  const claim = await claims!.claim(object, deliveryId);
  if (claim === 'done') {
    logInfo('duplicate delivery ignored', base);
    return { ...base, status: 'duplicate' };
  }
  // Not a duplicate to drop: the holder may have died. Failing makes Lambda retry (then use the DLQ).
  if (claim === 'in-progress') throw new DocumentInProgressError(object.key, object.versionId);
  if (object.size > MAX_DOCUMENT_BYTES) {
    return reject(object, deliveryId, 'DOCUMENT_TOO_LARGE', `The document has ${object.size} bytes; at most ${MAX_DOCUMENT_BYTES} are processed.`);
  }
  try {
    const response = await s3Client().send(new GetObjectCommand({
      Bucket: object.bucket, Key: object.key, VersionId: object.versionId === 'null' ? undefined : object.versionId,
    }));
    const document = documentText(response.ContentType, await response.Body!.transformToByteArray());
    if ('reason' in document) return await reject(object, deliveryId, 'UNSUPPORTED_CONTENT', document.reason);
    const result = await runTextRequest(`${deliveryId}:${object.key}`, 's3', document.text, DOCUMENT_INSTRUCTIONS);
    await claims!.complete(object, deliveryId, result);
    logInfo('document processed', { ...base, model: result.model.id, usage: result.usage, costUsd: result.cost.totalUsd });
    return { ...base, status: 'processed', costUsd: result.cost.totalUsd };
  } catch (error) {
    if (error instanceof PipelineError && error.status < 429) return reject(object, deliveryId, error.code, error.message);
    // Throttled or failed: give the claim back and fail, so Lambda's retry (then the DLQ) takes the document.
    await claims!.release(object, deliveryId);
    throw error;
  }
}

async function reject(object: UploadedObject, deliveryId: string, code: string, reason: string): Promise<DocumentResult> {
  await claims!.reject(object, deliveryId, code, reason);
  return { key: object.key, versionId: object.versionId, status: 'rejected', reason };
}

/**
 * The document's text, or why it is not text. A binary file decoded as UTF-8 is noise the model would be paid to
 * read, so it is refused before the pipeline: by a content type that is never text, a NUL byte near the start
 * (which no text encoding but UTF-16/32 produces, and those are not read here), or more than 1% of the characters
 * not being valid UTF-8. A stray bad byte in real text stays under that share.
 */
function documentText(contentType: string | undefined, bytes: Uint8Array): { text: string } | { reason: string } {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (type && BINARY_CONTENT_TYPE.test(type)) return { reason: `The document's content type is ${type}; only text documents are processed.` };
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) {
    return { reason: `The document has a NUL byte in its first ${SNIFF_BYTES} bytes, so it is binary${type ? ` (${type})` : ''}; only text documents are processed.` };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const invalid = text.match(/\uFFFD/g)?.length ?? 0;
  if (invalid > text.length * MAX_INVALID_SHARE) {
    return { reason: `${invalid} of the document's ${text.length} characters are not valid UTF-8 (at most ${MAX_INVALID_SHARE * 100}% may be); only UTF-8 text documents are processed.` };
  }
  return { text };
}
