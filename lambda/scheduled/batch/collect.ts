import { GetModelInvocationJobCommand, ListModelInvocationJobsCommand, type BedrockClient } from '@aws-sdk/client-bedrock';
import { addExactCosts, attoToUsd, exactToCostBreakdown, ExactCostBreakdown, priceUsageExact } from '../../../shared/core';
import type { PipelineConfig } from '../../pipeline/config';
import { billedAmount } from '../../pipeline/spend';
import { modelPrice } from '../../pipeline/stages/price-call';
import { NO_USAGE, Usage } from '../../pipeline/types';
import { logInfo, logWarn } from '../../shared/log';
import { mapLimit } from './concurrency';
import { BATCH_PREFIX, BatchConfig, dayOfJobName } from './config';
import { batchKeys, BatchMarker, BatchRecordIndex } from './marker';
import { readModelOutput } from './model-format';
import { BucketObjects } from './objects';
import { BatchGovernance, batchSpendContext, settleBatch } from './spend';

/** What collecting needs. */
export interface CollectContext {
  readonly results: BucketObjects;
  readonly resultsPrefix: string;
  readonly bedrock: BedrockClient;
  readonly config: BatchConfig;
  /** Prices, the spend port the job's reservation is settled on, and the recorder of its records. */
  readonly governance: BatchGovernance;
  readonly now?: () => Date;
}

/** What collection found for one day's job. */
export interface BatchCollection {
  readonly day: string;
  readonly jobName: string;
  readonly jobArn?: string;
  /** `pending`: the job has not finished (or cannot be found yet); `collected`: its results are written. */
  readonly status: 'pending' | 'collected';
  /** Bedrock's status of the job, e.g. InProgress, Completed, Failed. */
  readonly jobStatus: string;
  readonly processed?: number;
  readonly failed?: number;
  readonly costUsd?: number;
  readonly manifestKey?: string;
}

/** The manifest a collected batch day gets (the on-demand manifest's fields, plus the job's). */
export interface BatchManifest {
  readonly day: string;
  readonly mode: 'batch';
  readonly status: string;
  readonly reason?: string;
  readonly jobName: string;
  readonly jobArn: string;
  readonly modelId: string;
  readonly records: number;
  readonly submitted: number;
  readonly processed: number;
  readonly failed: number;
  readonly rejected: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly cost: ReturnType<typeof exactToCostBreakdown>;
  /** What the guard chain reserved for the job at submission, settled now to `costUsd`. */
  readonly reservedUsd?: number;
  /** Guards that could not settle the reservation (the results are written all the same). */
  readonly settleFailures?: number;
  readonly manifestKey: string;
  readonly collectedAt: string;
}

// Statuses after which Bedrock writes no more output.
const TERMINAL = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired']);
const WRITE_CONCURRENCY = 16;
const ZERO: ExactCostBreakdown = { inputAtto: 0n, outputAtto: 0n, cacheReadAtto: 0n, cacheWrite5mAtto: 0n, cacheWrite1hAtto: 0n, totalAtto: 0n, batch: false };

/** What became of one record of a job: answered (with its usage and exact cost) or failed (with why). */
type RecordOutcome =
  | { readonly name: string; readonly answered: true; readonly usage: Usage; readonly exact: ExactCostBreakdown }
  | { readonly name: string; readonly answered: false; readonly status: number; readonly code: string };

/** The days a run looks back over for pending jobs: `fromDay` and the `lookbackDays - 1` days before it. */
export function lookbackDays(fromDay: string, count: number): string[] {
  const [y, m, d] = fromDay.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10));
}

/** Collects every pending job of the given days, oldest first. */
export async function collectDays(ctx: CollectContext, days: ReadonlyArray<string>): Promise<BatchCollection[]> {
  const collections: BatchCollection[] = [];
  for (const day of [...days].reverse()) {
    const collection = await collectDay(ctx, day);
    if (collection) collections.push(collection);
  }
  return collections;
}

/**
 * Collects the job a Bedrock state change event is about, when it is one of this workflow's: found by its name
 * (which carries the day), or, for an event without a name, by its ARN among the recent days' markers.
 */
export async function collectJobEvent(
  ctx: CollectContext, jobName: string | undefined, jobArn: string | undefined, recentDays: ReadonlyArray<string>,
): Promise<BatchCollection[]> {
  let day = dayOfJobName(ctx.config, jobName);
  if (!day && jobName === undefined && jobArn) {
    for (const candidate of recentDays) {
      const marker = await ctx.results.getJson<BatchMarker>(batchKeys(ctx.resultsPrefix, BATCH_PREFIX, candidate).marker);
      if (marker?.jobArn === jobArn) {
        day = candidate;
        break;
      }
    }
  }
  if (!day) return [];
  const collection = await collectDay(ctx, day, jobArn);
  return collection ? [collection] : [];
}

/**
 * Collects one day's job if it is pending: finds its ARN (the marker's, the event's, else by the job's name), asks
 * Bedrock for its status and, once it is final, writes one result per record (priced with the batch discount), the
 * day's manifest, and marks the marker collected. Records without an answer (a failed or stopped job, a record
 * Bedrock could not run) get a `failed` result: none is dropped silently.
 */
export async function collectDay(ctx: CollectContext, day: string, eventJobArn?: string): Promise<BatchCollection | undefined> {
  const keys = batchKeys(ctx.resultsPrefix, BATCH_PREFIX, day);
  const marker = await ctx.results.getJson<BatchMarker>(keys.marker);
  if (!marker || marker.status !== 'pending') return undefined;
  const jobArn = marker.jobArn ?? eventJobArn ?? (await findJobArn(ctx.bedrock, marker.jobName));
  if (!jobArn) {
    logWarn('batch job not found by name yet; waiting for its state change event or the next run', { day, jobName: marker.jobName });
    return { day, jobName: marker.jobName, status: 'pending', jobStatus: 'Unknown' };
  }
  const job = await ctx.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
  const jobStatus = job.status ?? 'Unknown';
  if (!TERMINAL.has(jobStatus)) {
    if (!marker.jobArn) await ctx.results.putJson(keys.marker, { ...marker, jobArn });
    return { day, jobName: marker.jobName, jobArn, status: 'pending', jobStatus };
  }

  const index = (await ctx.results.getJson<BatchRecordIndex>(keys.index)) ?? { records: [] };
  const lines = await readOutput(ctx.results, keys.outputPrefix, jobArn);
  const { governance } = ctx;
  const { price, known } = modelPrice(marker.modelId, governance.catalog, governance.config);
  const priced = known ? 'catalog' : 'fallback';
  const tier = tierOf(governance.config, marker.modelId);
  const reason = job.message || undefined;

  const outcomes = await mapLimit(index.records, WRITE_CONCURRENCY, async (record): Promise<RecordOutcome> => {
    const line = lines.get(record.recordId);
    const key = keys.result(record.name);
    const failed = async (code: string, why: string, status = FAILED_STATUS): Promise<RecordOutcome> => {
      await ctx.results.putJson(key, { source: record.key, status: 'failed', mode: 'batch', jobArn, recordId: record.recordId, code, reason: why });
      return { name: record.name, answered: false, status, code };
    };
    if (!line?.modelOutput) {
      if (line?.error) {
        return failed(`BATCH_RECORD_${line.error.errorCode ?? 'ERROR'}`, String(line.error.errorMessage ?? 'The model could not answer this record.'), errorStatus(line.error.errorCode));
      }
      return failed('BATCH_NO_OUTPUT', `The batch job ended ${jobStatus} without an answer for this record${reason ? `: ${reason}` : '.'}`);
    }
    let answer;
    let exact: ExactCostBreakdown;
    try {
      answer = readModelOutput(line.modelOutput);
      exact = priceUsageExact(answer.usage, price, { batch: true });
    } catch (error) {
      return failed('BATCH_UNREADABLE_OUTPUT', String(error));
    }
    const cost = { ...exactToCostBreakdown(exact), priced };
    await ctx.results.putJson(key, {
      source: record.key,
      status: 'processed',
      mode: 'batch',
      answer: answer.answer,
      stopReason: answer.stopReason,
      model: { id: marker.modelId, tier, reasons: ['batch inference'] },
      usage: answer.usage,
      cost,
      jobArn,
      recordId: record.recordId,
    });
    return { name: record.name, answered: true, usage: answer.usage, exact };
  });

  let total = ZERO;
  let usage = NO_USAGE;
  let processed = 0;
  for (const outcome of outcomes) {
    if (!outcome.answered) continue;
    processed++;
    total = addExactCosts(total, outcome.exact);
    usage = addUsage(usage, outcome.usage);
  }
  const inputTokens = usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens;
  const outputTokens = usage.outputTokens;
  const now = (ctx.now ?? (() => new Date()))();
  // The reservation taken at submission becomes what Bedrock billed, exactly. A repeated settlement (a retry that
  // died before the marker below was written) is the same idempotency key, `batch:<job name>`, and counts once.
  const settleFailures = await settleBatch(governance, marker.spend, billedAmount(usage, total.totalAtto), now.getTime());
  const cost = exactToCostBreakdown(total);
  const collectedAt = now.toISOString();
  const manifest: BatchManifest = {
    day,
    mode: 'batch',
    status: jobStatus,
    ...(reason ? { reason } : {}),
    jobName: marker.jobName,
    jobArn,
    modelId: marker.modelId,
    records: marker.records + marker.rejected,
    submitted: marker.records,
    processed,
    failed: index.records.length - processed,
    rejected: marker.rejected,
    inputTokens,
    outputTokens,
    costUsd: cost.totalUsd,
    cost,
    ...(marker.spend ? { reservedUsd: attoToUsd(BigInt(marker.spend.estimate.costAtto)), settleFailures } : {}),
    manifestKey: keys.manifest,
    collectedAt,
  };
  await ctx.results.putJson(keys.manifest, manifest);
  await ctx.results.putJson(keys.marker, { ...marker, jobArn, status: 'collected', jobStatus, collectedAt });
  // Recorded once the marker says collected, so no later run records the job again.
  // Stamped with the job's end (its last billed hour), not collection time: collection runs hours later, often the
  // next UTC day, and the reconciliation compares each day's meter with the hours CUR billed that day.
  const spentAtMs = (job.endTime ?? job.lastModifiedTime ?? now).getTime();
  recordOutcomes(governance, marker, day, outcomes, priced, settleFailures, spentAtMs);
  logInfo('batch job collected', { day, jobArn, jobStatus, processed, failed: manifest.failed, costUsd: cost.totalUsd, settleFailures });
  return { day, jobName: marker.jobName, jobArn, status: 'collected', jobStatus, processed, failed: manifest.failed, costUsd: cost.totalUsd, manifestKey: keys.manifest };
}

// A record without an answer failed on Bedrock's side: a bad gateway, unless the record names an HTTP status.
const FAILED_STATUS = 502;

function errorStatus(code: number | string | undefined): number {
  const status = Number(code);
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : FAILED_STATUS;
}

/**
 * One record per batch record, in the shape and metrics of a Converse call: path `batch`, the job's model, the
 * record's usage and exact batch cost, one attempt; a record without an answer as a failure with its code. The
 * request id is `<day>:<record name>`, as on demand. The first answered record carries the settlement failures,
 * so that the metric counts each job once.
 */
function recordOutcomes(
  governance: BatchGovernance, marker: BatchMarker, day: string, outcomes: ReadonlyArray<RecordOutcome>, priced: 'catalog' | 'fallback', settleFailures: number,
  spentAtMs: number,
): void {
  const who = marker.spend ?? batchSpendContext(governance.config, marker.jobName, 0);
  // The metric is only written with an answered record (a failure's record carries no metrics of spend).
  const carrier = outcomes.findIndex((o) => o.answered);
  outcomes.forEach((outcome, i) => {
    const base = {
      application: governance.config.application, environment: governance.config.environment, feature: who.feature, path: 'batch' as const,
      requestId: `${day}:${outcome.name}`, tenantId: who.tenantId, userId: who.userId, modelId: marker.modelId,
      timestampMs: spentAtMs,
    };
    if (outcome.answered) {
      governance.record({
        ...base, status: 200, usage: outcome.usage, costUsd: exactToCostBreakdown(outcome.exact).totalUsd, priced, attempts: 1,
        ...(i === carrier && settleFailures > 0 ? { settleFailures } : {}),
      });
    } else {
      governance.record({ ...base, status: outcome.status, errorCode: outcome.code });
    }
  });
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
    cacheWriteInputTokens: a.cacheWriteInputTokens + b.cacheWriteInputTokens,
  };
}

/**
 * The ARN of the job named `jobName`, for a marker written without one (CreateModelInvocationJob answered
 * ConflictException) whose state change event was missed. ListModelInvocationJobs' `nameContains` matches any part
 * of a name (another workflow's prefix may end with this one), so only the exact name counts; the newest such job
 * wins.
 */
async function findJobArn(bedrock: BedrockClient, jobName: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: jobName, sortBy: 'CreationTime', sortOrder: 'Descending', nextToken }));
    const job = page.invocationJobSummaries?.find((j) => j.jobName === jobName);
    if (job?.jobArn) {
      logInfo('batch job ARN found by name', { jobName, jobArn: job.jobArn });
      return job.jobArn;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

interface OutputLine {
  readonly recordId?: string;
  readonly modelOutput?: unknown;
  readonly error?: { readonly errorCode?: number | string; readonly errorMessage?: string };
}

/**
 * The job's output lines by record id. Bedrock writes `<output prefix><job id>/<input file>.out`; lines are read
 * from the job's own folder (another job of the day, e.g. a manual rerun, writes its own).
 */
async function readOutput(results: BucketObjects, outputPrefix: string, jobArn: string): Promise<Map<string, OutputLine>> {
  const jobId = jobArn.slice(jobArn.lastIndexOf('/') + 1);
  const keys = (await results.listKeys(`${outputPrefix}${jobId}/`)).filter((k) => k.endsWith('.jsonl.out'));
  const lines = new Map<string, OutputLine>();
  for (const key of keys) {
    const text = (await results.getText(key)) ?? '';
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        const line = JSON.parse(raw) as OutputLine;
        if (typeof line.recordId === 'string') lines.set(line.recordId, line);
      } catch {
        logWarn('unreadable batch output line skipped', { key });
      }
    }
  }
  return lines;
}

function tierOf(pipeline: PipelineConfig, modelId: string): string {
  const entry = Object.entries(pipeline.tiers).find(([, m]) => m && (m.modelId === modelId || m.invokeId === modelId));
  return entry?.[0] ?? 'simple';
}
