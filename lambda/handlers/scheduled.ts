import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ScheduledEvent } from 'aws-lambda';
import { PipelineError } from '../pipeline/errors';
import { s3Client } from '../runtime/clients';
import { required } from '../runtime/config';
import { logInfo } from '../runtime/log';
import { containerPipeline, pipelineConfig } from '../runtime/pipeline-runtime';
import { dayToProcess } from '../runtime/schedule-day';

const inputBucket = required(process.env, 'INPUT_BUCKET');
const inputPrefix = process.env.INPUT_PREFIX ?? 'records/';
const resultsBucket = required(process.env, 'RESULTS_BUCKET');
const resultsPrefix = process.env.RESULTS_PREFIX ?? 'results/';
const RECORD_INSTRUCTIONS = 'Analyse this record and give a short, factual summary.';

/** What one run did. */
export interface ScheduledRunSummary {
  readonly day: string;
  readonly mode: 'on-demand';
  readonly records: number;
  readonly processed: number;
  readonly rejected: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly manifestKey: string;
}

/** Daily schedule → every record of the day that ended → the request pipeline → one result per record + a manifest. */
export async function handler(event: ScheduledEvent): Promise<ScheduledRunSummary> {
  const day = dayToProcess(event?.time);
  const keys = await listKeys(`${inputPrefix}${day}/`);
  const config = pipelineConfig();
  let processed = 0;
  let rejected = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let costUsd = 0;
  for (const key of keys) {
    const name = key.slice(`${inputPrefix}${day}/`.length);
    const text = await readText(key);
    try {
      const result = await containerPipeline().run({
        requestId: `${day}:${name}`,
        tenantId: config.tags.Customer ?? 'internal',
        userId: 'schedule',
        feature: config.defaultFeature,
        systemPrompt: config.defaultSystemPrompt ?? RECORD_INSTRUCTIONS,
        history: [],
        message: text,
        hints: {},
      });
      processed++;
      inputTokens += result.usage.inputTokens + result.usage.cacheReadInputTokens + result.usage.cacheWriteInputTokens;
      outputTokens += result.usage.outputTokens;
      costUsd += result.cost.totalUsd;
      await putJson(`${resultsPrefix}${day}/${name}.json`, { source: key, status: 'processed', answer: result.answer, model: result.model, usage: result.usage, cost: result.cost });
    } catch (error) {
      // A record the pipeline refuses (too large, invalid) is reported, not retried; anything else fails the run.
      if (!(error instanceof PipelineError) || error.status >= 429) throw error;
      rejected++;
      await putJson(`${resultsPrefix}${day}/${name}.json`, { source: key, status: 'rejected', code: error.code, reason: error.message });
    }
  }
  const manifestKey = `${resultsPrefix}${day}/_manifest.json`;
  const summary: ScheduledRunSummary = { day, mode: 'on-demand', records: keys.length, processed, rejected, inputTokens, outputTokens, costUsd, manifestKey };
  await putJson(manifestKey, summary);
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3Client().send(new ListObjectsV2Command({ Bucket: inputBucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

async function readText(key: string): Promise<string> {
  const object = await s3Client().send(new GetObjectCommand({ Bucket: inputBucket, Key: key }));
  return object.Body!.transformToString('utf8');
}

async function putJson(key: string, value: unknown): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: resultsBucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
}
