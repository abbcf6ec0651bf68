/**
 * What a workflow's resources would hold when its event fires: the caches a custom configuration names, the
 * uploaded object a document event announces, the records a scheduled run reads. (The tables and buckets the
 * construct creates come from its template: local/template/local-resources.ts.)
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dayToProcess } from '../../../../lambda/scheduled/schedule-day';
import { uploadedObjects, UploadedObject } from '../../../../lambda/document/s3-events';
import { ENV } from '../../../../shared/contract';
import { ConstructPipelineConfig, Workflow } from '../demo/function-env';
import type { LocalStack } from '../demo/local-stack';
import { createBucket, createEmbeddingCacheTable, createResponseCacheTable } from '../demo/resources';
import { SAMPLE_RECORDS, SAMPLE_TICKET } from './invoke-samples';

/** The caches a `--config` file names (the construct's own come from its template). */
export async function createConfigCaches(config: ConstructPipelineConfig, stack: LocalStack, log: (line: string) => void): Promise<void> {
  if (config.responseCache) {
    await createResponseCacheTable(stack.dynamodb, config.responseCache.tableName);
    log(`created table ${config.responseCache.tableName} (response cache)`);
  }
  if (config.embedding) {
    await createEmbeddingCacheTable(stack.dynamodb, config.embedding.tableName);
    log(`created table ${config.embedding.tableName} (embedding cache)`);
  }
}

/**
 * Seeds the workflow's resources for `event`; returns the event to invoke with (a document event gets the version
 * id and size of the local upload, which S3 assigns). `env` is the function's environment (the scheduled workflow's
 * buckets and prefixes).
 */
export async function prepareFixtures(
  workflow: Workflow,
  event: unknown,
  env: Readonly<Record<string, string>>,
  stack: LocalStack,
  options: { readonly object?: Buffer },
  log: (line: string) => void,
): Promise<unknown> {
  if (workflow === 'document') return uploadAnnouncedObjects(event, stack, options.object ?? Buffer.from(SAMPLE_TICKET, 'utf8'), log);
  if (workflow === 'scheduled') await prepareScheduled(event, env, stack, log);
  return event;
}

/**
 * Uploads `body` as each object the event announces (an EventBridge "Object Created" event or S3 notification
 * records), into the event's bucket, versioned when the event carries a version id; returns the event with the
 * version id and size of the local upload.
 */
export async function uploadAnnouncedObjects(event: unknown, stack: LocalStack, body: Buffer, log: (line: string) => void): Promise<unknown> {
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

/** Seeds the sample records in the input bucket (created from the template) under the day's prefix. */
async function prepareScheduled(event: unknown, env: Readonly<Record<string, string>>, stack: LocalStack, log: (line: string) => void): Promise<void> {
  const inputBucket = env[ENV.inputBucket];
  const day = dayToProcess((event as { time?: string } | null)?.time);
  const prefix = `${env[ENV.inputPrefix] ?? ''}${day}/`;
  for (const record of SAMPLE_RECORDS) {
    await stack.s3.send(new PutObjectCommand({ Bucket: inputBucket, Key: `${prefix}${record.name}`, Body: record.text, ContentType: 'text/plain; charset=utf-8' }));
  }
  log(`seeded ${SAMPLE_RECORDS.length} records under s3://${inputBucket}/${prefix}; results go to s3://${env[ENV.resultsBucket]}/${env[ENV.resultsPrefix] ?? ''}${day}/`);
}
