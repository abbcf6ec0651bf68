import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ScheduledEvent } from 'aws-lambda';
import { s3Client } from '../runtime/clients';
import { readHandlerConfig, required } from '../runtime/config';
import { converseOnce } from '../runtime/converse-once';
import { logInfo } from '../runtime/log';
import { dayToProcess } from '../runtime/schedule-day';

const config = readHandlerConfig();
const inputBucket = required(process.env, 'INPUT_BUCKET');
const inputPrefix = process.env.INPUT_PREFIX ?? 'records/';
const resultsBucket = required(process.env, 'RESULTS_BUCKET');
const resultsPrefix = process.env.RESULTS_PREFIX ?? 'results/';
const RECORD_INSTRUCTIONS = 'Analyse this record and give a short, factual summary.';

/** What one run did. */
export interface ScheduledRunSummary {
  readonly day: string;
  readonly records: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly manifestKey: string;
}

/** Daily schedule → every record of the day that ended → one result object per record plus a manifest. */
export async function handler(event: ScheduledEvent): Promise<ScheduledRunSummary> {
  const day = dayToProcess(event?.time);
  const keys = await listKeys(`${inputPrefix}${day}/`);
  let inputTokens = 0;
  let outputTokens = 0;
  for (const key of keys) {
    const object = await s3Client().send(new GetObjectCommand({ Bucket: inputBucket, Key: key }));
    const text = await object.Body!.transformToString('utf8');
    const answer = await converseOnce(config, text, config.systemPrompt ?? RECORD_INSTRUCTIONS);
    inputTokens += answer.usage.inputTokens;
    outputTokens += answer.usage.outputTokens;
    await putJson(`${resultsPrefix}${day}/${key.slice(inputPrefix.length + day.length + 1)}.json`, {
      source: key, answer: answer.text, model: config.baseModelId, usage: answer.usage,
    });
  }
  const manifestKey = `${resultsPrefix}${day}/_manifest.json`;
  const summary: ScheduledRunSummary = { day, records: keys.length, inputTokens, outputTokens, manifestKey };
  await putJson(manifestKey, summary);
  logInfo('scheduled run finished', { ...summary, tags: config.tags });
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

async function putJson(key: string, value: unknown): Promise<void> {
  await s3Client().send(new PutObjectCommand({
    Bucket: resultsBucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json',
  }));
}
