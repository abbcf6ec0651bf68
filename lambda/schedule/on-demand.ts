import { mapLimit } from '../batch/concurrency';
import { reservedNameRejection } from '../batch/marker';
import { BucketObjects, isError } from '../batch/objects';
import type { DayRecord } from '../batch/plan';
import { SCHEDULE_USER } from '../batch/spend';
import { attoToUsd, usdToAtto } from '../core';
import { PipelineError } from '../pipeline/errors';
import type { Usage } from '../pipeline/types';
import { logInfo, logWarn } from '../runtime/log';
import { runTextRequest } from '../runtime/text-request';
import { RECORD_INSTRUCTIONS } from './settings';
import { DayStores } from './stores';
import { RemainingTime, ScheduledRunIncompleteError, ScheduledRunSummary } from './summary';

// Records sent through the pipeline at once, on demand.
const RECORD_CONCURRENCY = 4;
// A run starts no more records once the Lambda has less than this left: enough to finish the records in flight and
// write the manifest before the timeout.
const TIME_RESERVE_MS = 30_000;

/** What became of one record on demand. */
interface Outcome {
  readonly status: 'processed' | 'rejected' | 'already-done' | 'left';
  readonly usage?: Usage;
  readonly costUsd?: number;
}

/** A result object as the on-demand path writes it (only what a later run reads back). */
interface StoredResult {
  readonly status?: string;
  readonly usage?: Usage;
  readonly cost?: { readonly totalUsd?: number };
}

/**
 * Every record of the day through the request pipeline (governed and recorded like any request), four at a time
 * (each read unless `read` has it), in the keys' order: results are written as records finish, the sums are exact
 * whatever the order. A record with a result already is skipped; after a failure, or with less than 30 s left, no
 * further record is started.
 */
export async function runOnDemand(
  stores: DayStores, day: string, keys: ReadonlyArray<string>, read?: ReadonlyArray<DayRecord>, context?: RemainingTime,
): Promise<ScheduledRunSummary> {
  const dayKeys = stores.keys(day);
  let failure: { readonly error: unknown } | undefined;
  const outOfTime = () => context !== undefined && context.getRemainingTimeInMillis() < TIME_RESERVE_MS;

  const outcomes = await mapLimit(keys, RECORD_CONCURRENCY, async (key, i): Promise<Outcome> => {
    if (failure || outOfTime()) return { status: 'left' };
    const name = stores.recordName(day, key);
    try {
      return await runRecord(stores.results, day, key, name, dayKeys.result(name), () => (read ? Promise.resolve(read[i].text) : stores.input.getText(key)));
    } catch (error) {
      // The first failure fails the run once the records in flight are done; their results stand for the retry.
      failure ??= { error };
      return { status: 'left' };
    }
  });
  if (failure) throw failure.error;

  let processed = 0;
  let rejected = 0;
  let alreadyDone = 0;
  let left = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  // Summed exactly (integer attodollars), like every cost in the runtime.
  let costAtto = 0n;
  for (const outcome of outcomes) {
    if (outcome.status === 'processed') processed++;
    else if (outcome.status === 'rejected') rejected++;
    else if (outcome.status === 'already-done') alreadyDone++;
    else left++;
    if (outcome.usage) {
      inputTokens += outcome.usage.inputTokens + outcome.usage.cacheReadInputTokens + outcome.usage.cacheWriteInputTokens;
      outputTokens += outcome.usage.outputTokens;
    }
    if (outcome.costUsd !== undefined) costAtto += usdToAtto(outcome.costUsd);
  }
  const manifestKey = dayKeys.manifest;
  const summary: ScheduledRunSummary = {
    day, mode: 'on-demand', records: keys.length, processed, rejected, alreadyDone, inputTokens, outputTokens, costUsd: attoToUsd(costAtto), manifestKey,
    ...(left > 0 ? { incomplete: true as const, left } : {}),
  };
  await stores.results.putJson(manifestKey, summary);
  if (left > 0) {
    logWarn('scheduled run ran short of time; failing it so that Lambda retries the records left', { ...summary });
    throw new ScheduledRunIncompleteError(summary);
  }
  logInfo('scheduled run finished', { ...summary });
  return summary;
}

/** One record on demand: refused for its name, skipped when its result exists, else through the pipeline. */
async function runRecord(
  results: BucketObjects, day: string, key: string, name: string, resultKey: string, text: () => Promise<string | undefined>,
): Promise<Outcome> {
  const reserved = reservedNameRejection(name);
  if (reserved) {
    // No result: its key is one of the day's control files.
    logWarn('record rejected: its name is reserved for the day\'s control files', { day, key, code: reserved.code });
    return { status: 'rejected' };
  }
  const earlier = await existingResult(results, resultKey);
  if (earlier) return { status: 'already-done', usage: earlier.usage, costUsd: earlier.cost?.totalUsd };
  try {
    const result = await runTextRequest(`${day}:${name}`, SCHEDULE_USER, (await text()) ?? '', RECORD_INSTRUCTIONS);
    await results.putJson(resultKey, { source: key, status: 'processed', answer: result.answer, model: result.model, usage: result.usage, cost: result.cost });
    return { status: 'processed', usage: result.usage, costUsd: result.cost.totalUsd };
  } catch (error) {
    // A record the pipeline refuses (too large, invalid) is reported, not retried; anything else fails the run.
    if (!(error instanceof PipelineError) || error.status >= 429) throw error;
    await results.putJson(resultKey, { source: key, status: 'rejected', code: error.code, reason: error.message });
    return { status: 'rejected' };
  }
}

/**
 * The record's result if an earlier attempt wrote one this run can count: `rejected`, or `processed` with its usage
 * and cost. Missing, unreadable or incomplete results are processed again. The handler may read the results prefix;
 * without s3:ListBucket on it (batch inference off), S3 answers a missing key with 403 instead of 404, so 403 reads
 * as missing too: at worst a record is paid for again, never skipped without a result.
 */
async function existingResult(results: BucketObjects, key: string): Promise<StoredResult | undefined> {
  let stored: StoredResult | undefined;
  try {
    stored = await results.getJson<StoredResult>(key);
  } catch (error) {
    if (error instanceof SyntaxError || isError(error, 'AccessDenied', 403)) return undefined;
    throw error;
  }
  if (stored?.status === 'rejected') return { status: 'rejected' };
  if (stored?.status === 'processed' && isUsage(stored.usage) && typeof stored.cost?.totalUsd === 'number') return stored;
  return undefined;
}

function isUsage(usage: Usage | undefined): usage is Usage {
  return usage !== undefined && [usage.inputTokens, usage.outputTokens, usage.cacheReadInputTokens, usage.cacheWriteInputTokens].every(Number.isSafeInteger);
}
