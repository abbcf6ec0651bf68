import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { dynamoDbClient, s3Client } from '../runtime/clients';
import { readHandlerConfig, required } from '../runtime/config';
import { converseOnce } from '../runtime/converse-once';
import { logInfo, logWarn } from '../runtime/log';
import { uploadedObjects } from '../runtime/s3-events';

const config = readHandlerConfig();
const resultsTable = required(process.env, 'RESULTS_TABLE');
const DOCUMENT_INSTRUCTIONS = 'Summarize the document in at most five sentences, then list its key facts.';

/** The outcome for one object. */
export interface DocumentResult {
  readonly key: string;
  readonly versionId: string;
  readonly status: 'processed' | 'skipped';
  readonly reason?: string;
}

/** S3 object created → model call on its text → result item keyed by object key and version. */
export async function handler(event: unknown): Promise<{ results: DocumentResult[] }> {
  const objects = uploadedObjects(event);
  if (objects.length === 0) logWarn('event announces no created object', { event });
  const results: DocumentResult[] = [];
  for (const object of objects) {
    const response = await s3Client().send(new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      VersionId: object.versionId === 'null' ? undefined : object.versionId,
    }));
    const text = await response.Body!.transformToString('utf8');
    const answer = await converseOnce(config, text, config.systemPrompt ?? DOCUMENT_INSTRUCTIONS);
    await dynamoDbClient().send(new PutItemCommand({
      TableName: resultsTable,
      Item: {
        objectKey: { S: object.key },
        versionId: { S: object.versionId },
        status: { S: 'processed' },
        summary: { S: answer.text },
        model: { S: config.baseModelId },
        inputTokens: { N: String(answer.usage.inputTokens) },
        outputTokens: { N: String(answer.usage.outputTokens) },
        processedAt: { S: new Date().toISOString() },
      },
    }));
    logInfo('document processed', { key: object.key, versionId: object.versionId, usage: answer.usage, tags: config.tags });
    results.push({ key: object.key, versionId: object.versionId, status: 'processed' });
  }
  return { results };
}
