import type { ScheduledEvent } from 'aws-lambda';
import { collectDays, collectJobEvent, lookbackDays } from './batch/collect';
import { readBatchConfig } from './batch/config';
import { BatchCollectEvent, BatchJobStateChangeEvent, triggerOf } from './batch/events';
import { containerPipeline } from '../composition/pipeline-runtime';
import { dayToProcess } from './schedule-day';
import { collectContextFor, runBatchDay } from './batch-day';
import { runDeferredBesideBatch, runOnDemand } from './on-demand';
import { readScheduleSettings } from './settings';
import { DayStores } from './stores';
import type { CollectRunSummary, RemainingTime, ScheduledRunSummary } from './summary';

export { ScheduledRunIncompleteError } from './summary';
export type { CollectRunSummary, RemainingTime, ScheduledRunSummary } from './summary';

// Read at init, as Lambda loads the handler after setting the environment: a missing bucket fails the first run.
const settings = readScheduleSettings();

/**
 * Daily schedule → the records of the day that ended → one result per record + a manifest.
 *
 * A day with at least the batch minimum of records (and batch inference on) runs as a Bedrock batch inference job
 * at the batch price, its upper-bound spend reserved on the pipeline's guard chain and settled when it is collected;
 * a smaller day runs on demand through the request pipeline. Every run first collects finished batch jobs;
 * `{ "collect": true }` and Bedrock's "Batch Inference Job State Change" events only collect.
 *
 * The day's deferred records (the API's, under `deferred/<day>/`) run on demand as the requests they were, charged
 * to their tenants, also on a batch day (the job carries only the uploaded records); only when an API defers to this
 * workflow (`GENAI_ACCEPTS_DEFERRED`), otherwise `deferred/` is not read at all.
 *
 * An on-demand run can be repeated safely: a record whose result exists is skipped, so Lambda's async retries
 * (after a failure, or a run that ran short of time and failed on purpose) continue the day without paying twice.
 */
export async function handler(event: ScheduledEvent, context?: RemainingTime): Promise<ScheduledRunSummary>;
export async function handler(event: BatchCollectEvent | BatchJobStateChangeEvent, context?: RemainingTime): Promise<CollectRunSummary>;
export async function handler(
  event: ScheduledEvent | BatchCollectEvent | BatchJobStateChangeEvent, context?: RemainingTime,
): Promise<ScheduledRunSummary | CollectRunSummary> {
  const batch = readBatchConfig();
  const stores = new DayStores(settings);
  const pipeline = containerPipeline();
  const trigger = triggerOf(event);
  if (trigger.kind === 'job-state') {
    if (!batch) return { collected: [] };
    const recent = lookbackDays(dayToProcess(trigger.time), batch.lookbackDays);
    return { collected: await collectJobEvent(collectContextFor(stores, batch, pipeline), trigger.jobName, trigger.jobArn, recent) };
  }
  const day = dayToProcess(trigger.time);
  const collected = batch ? await collectDays(collectContextFor(stores, batch, pipeline), lookbackDays(day, batch.lookbackDays)) : undefined;
  if (trigger.kind === 'collect') return { collected: collected ?? [] };

  const [keys, deferredKeys] = await Promise.all([stores.listDay(day), stores.listDeferred(day)]);
  const batchDay = batch ? await runBatchDay(stores, batch, pipeline, day, keys) : {};
  const summary = batchDay.summary
    ? await runDeferredBesideBatch(stores, day, batchDay.summary, deferredKeys, context)
    : await runOnDemand(stores, day, keys, batchDay.read, context, deferredKeys);
  return collected ? { ...summary, collected } : summary;
}
