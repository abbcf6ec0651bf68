/**
 * What a workflow's resources would hold when its event fires: the tables and buckets the construct creates,
 * the uploaded object a document event announces, the records a scheduled run reads.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dayToProcess } from '../../lambda/runtime/schedule-day';
import { uploadedObjects, UploadedObject } from '../../lambda/runtime/s3-events';
import { ConstructPipelineConfig, LOCAL_RESOURCES, Workflow } from '../../local/demo/function-env';
import type { LocalStack } from '../../local/demo/local-stack';
import { createBucket, createDocumentResultsTable, createEmbeddingCacheTable, createResponseCacheTable } from '../../local/demo/resources';
import { SAMPLE_RECORDS, SAMPLE_TICKET } from './invoke-samples';

/**
 * Creates the workflow's resources and seeds them for `event`; returns the event to invoke with (a document
 * event gets the version id and size of the local upload, which S3 assigns).
 */
export async function prepareFixtures(
  workflow: Workflow,
  event: unknown,
  config: ConstructPipelineConfig,
  stack: LocalStack,
  options: { readonly object?: Buffer },
  log: (line: string) => void,
): Promise<unknown> {
  if (config.responseCache) {
    await createResponseCacheTable(stack.dynamodb, config.responseCache.tableName);
    log(`created table ${config.responseCache.tableName} (response cache)`);
  }
  if (config.embedding) {
    await createEmbeddingCacheTable(stack.dynamodb, config.embedding.tableName);
    log(`created table ${config.embedding.tableName} (embedding cache)`);
  }
  if (workflow === 'document') return prepareDocument(event, stack, options.object ?? Buffer.from(SAMPLE_TICKET, 'utf8'), log);
  if (workflow === 'scheduled') await prepareScheduled(event, stack, log);
  return event;
}

async function prepareDocument(event: unknown, stack: LocalStack, body: Buffer, log: (line: string) => void): Promise<unknown> {
  await createDocumentResultsTable(stack.dynamodb, LOCAL_RESOURCES.resultsTable);
  log(`created table ${LOCAL_RESOURCES.resultsTable} (document results)`);
  const objects = uploadedObjects(event);
  if (objects.length === 0) {
    log('the event announces no created object (expected an EventBridge "Object Created" event or S3 notification records); nothing uploaded');
    return event;
  }
  const patched = structuredClone(event) as Record<string, any>;
  for (const object of objects) {
    const versioned = object.versionId !== 'null';
    await createBucket(stack.s3, object.bucket, versioned);
    const put = await stack.s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: body, ContentType: 'text/plain; charset=utf-8' }));
    const versionId = put.VersionId ?? 'null';
    log(`uploaded ${body.length} bytes to s3://${object.bucket}/${object.key}${versioned ? ` (version ${versionId})` : ''}`);
    patchObject(patched, object, versioned ? versionId : undefined, body.length);
  }
  if (objects.some((o) => o.versionId !== 'null')) log('the event\'s version id and size were set to those of the local upload');
  return patched;
}

/** Sets version id and size on the event's entry for `object` (EventBridge detail or S3 notification record). */
function patchObject(event: Record<string, any>, object: UploadedObject, versionId: string | undefined, size: number): void {
  if (event['detail-type'] === 'Object Created' && event.detail?.object) {
    if (versionId !== undefined) event.detail.object['version-id'] = versionId;
    event.detail.object.size = size;
    return;
  }
  for (const record of event.Records ?? []) {
    const s3 = record?.s3;
    if (!s3?.object?.key || s3.bucket?.name !== object.bucket) continue;
    if (decodeURIComponent(String(s3.object.key).replace(/\+/g, ' ')) !== object.key) continue;
    if (versionId !== undefined) s3.object.versionId = versionId;
    s3.object.size = size;
  }
}

async function prepareScheduled(event: unknown, stack: LocalStack, log: (line: string) => void): Promise<void> {
  await createBucket(stack.s3, LOCAL_RESOURCES.inputBucket);
  await createBucket(stack.s3, LOCAL_RESOURCES.resultsBucket);
  const day = dayToProcess((event as { time?: string } | null)?.time);
  const prefix = `${LOCAL_RESOURCES.inputPrefix}${day}/`;
  for (const record of SAMPLE_RECORDS) {
    await stack.s3.send(new PutObjectCommand({ Bucket: LOCAL_RESOURCES.inputBucket, Key: `${prefix}${record.name}`, Body: record.text, ContentType: 'text/plain; charset=utf-8' }));
  }
  log(`seeded ${SAMPLE_RECORDS.length} records under s3://${LOCAL_RESOURCES.inputBucket}/${prefix}; results go to s3://${LOCAL_RESOURCES.resultsBucket}/${LOCAL_RESOURCES.resultsPrefix}${day}/`);
}
