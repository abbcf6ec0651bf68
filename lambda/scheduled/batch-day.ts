import { bedrockControlClient } from './batch/clients';
import type { CollectContext } from './batch/collect';
import type { BatchConfig } from './batch/config';
import type { BatchMarker } from './batch/marker';
import { batchModelFamily } from './batch/model-format';
import { DayRecord, planBatch } from './batch/plan';
import type { BatchGovernance } from './batch/spend';
import { BatchSubmission, submitBatch } from './batch/submit';
import { baseModelId } from '../../shared/core';
import { countedTokens, countTokensFor } from '../pipeline/stages/count-tokens';
import { bedrockClient } from '../shared/clients';
import { logInfo, logWarn } from '../shared/log';
import { RECORD_INSTRUCTIONS } from './settings';
import { DayStores } from './stores';
import { batchSummary, ScheduledRunSummary } from './summary';

/** What the batch path made of a day: its summary, or the records it read before handing the day back to on demand. */
export interface BatchDayOutcome {
  /** Set when the day is (or was already) a batch job, or the guard chain refused it. */
  readonly summary?: ScheduledRunSummary;
  /** Set when the records were read but too few fit the limits: on demand reuses them rather than reading again. */
  readonly read?: ReadonlyArray<DayRecord>;
}

/**
 * The day as one batch job, when it can be one: the model's batch format is known and the day has at least the
 * minimum of records, before and after the limits are applied. A day whose marker exists is already started.
 * Otherwise the day runs on demand.
 */
export async function runBatchDay(
  stores: DayStores, batch: BatchConfig, governance: BatchGovernance, day: string, keys: ReadonlyArray<string>,
): Promise<BatchDayOutcome> {
  const family = batchModelFamily(batch.modelId);
  if (!family) {
    logWarn('batch inference is configured for a model whose batch records cannot be written; running on demand', { modelId: batch.modelId });
    return {};
  }
  if (keys.length < batch.minimumRecords) return {};
  const manifestKey = stores.keys(day).manifest;
  const started = await existingBatch(stores, day);
  if (started) return { summary: batchSummary(day, started, keys.length, manifestKey) };

  const records = await stores.readRecords(day, keys);
  const config = governance.config;
  const systemPrompt = config.defaultSystemPrompt ?? RECORD_INSTRUCTIONS;
  const limits = config.features[config.defaultFeature];
  const modelId = baseModelId(batch.modelId);
  const plan = await planBatch(records, systemPrompt, limits, config.defaultFeature,
    async (system, text) => countedTokens(await countTokensFor(bedrockClient(), modelId, { system: [{ text: system }], messages: [{ role: 'user', content: [{ text }] }] })));
  if (plan.accepted.length < batch.minimumRecords) {
    logInfo('too few records to batch once the limits are applied; running on demand', { day, accepted: plan.accepted.length, minimum: batch.minimumRecords });
    return { read: records };
  }
  const submission = await submitBatch({
    results: stores.results, resultsPrefix: stores.settings.resultsPrefix, bedrock: bedrockControlClient(), config: batch, family, systemPrompt,
    maxOutputTokens: limits.maxOutputTokens, governance, tags: batchJobTags(config.tags),
  }, day, plan);
  return { summary: batchSummary(day, submission, keys.length, manifestKey) };
}

/**
 * The tags a batch job is created with: the function's GenAI tags (`GENAI_TAGS`, which the construct resolves at
 * synthesis), with InferenceType `batch` whatever the function says, so that cost allocation tells batch spend apart.
 */
export function batchJobTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return { ...tags, InferenceType: 'batch' };
}

/** What collecting the workflow's jobs needs. */
export function collectContextFor(stores: DayStores, batch: BatchConfig, governance: BatchGovernance): CollectContext {
  return { results: stores.results, resultsPrefix: stores.settings.resultsPrefix, bedrock: bedrockControlClient(), config: batch, governance };
}

// A day whose batch was already started (a second run, a retry): its marker says so.
async function existingBatch(stores: DayStores, day: string): Promise<BatchSubmission | undefined> {
  const markerKey = stores.keys(day).marker;
  const marker = await stores.results.getJson<BatchMarker>(markerKey);
  if (!marker) return undefined;
  return { status: 'already-started', jobName: marker.jobName, jobArn: marker.jobArn, records: marker.records, rejected: marker.rejected, markerKey };
}
