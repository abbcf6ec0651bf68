import { classifyTextPrompt, countedTextPrompt, textPromptTokens } from '../../../shared/core';
import { mapLimit } from './concurrency';
import type { FeatureLimits } from '../../pipeline/config';
import { reservedNameRejection } from './marker';

/** One record of the day: its key, its name under the day's folder, and its text. */
export interface DayRecord {
  readonly key: string;
  readonly name: string;
  readonly text: string;
}

/**
 * A record the batch job carries, with what its reservation uses: the input tokens Bedrock counted for its prompt when
 * it was counted, else the upper bound.
 */
export interface AcceptedRecord extends DayRecord {
  readonly inputTokenBound: number;
}

/** Bedrock's `CountTokens` for a record's prompt (instructions + text); undefined when it cannot say. */
export type CountRecordTokens = (systemPrompt: string, text: string) => Promise<number | undefined>;

// Records between the bounds counted at once: CountTokens is free but rate-limited like any runtime call.
const COUNT_CONCURRENCY = 4;

/** A record refused before any model call, with the code and reason the on-demand pipeline would give. */
export interface RejectedRecord {
  readonly record: DayRecord;
  readonly code: string;
  readonly reason: string;
}

/** Which records a batch job would carry. */
export interface BatchPlan {
  readonly accepted: ReadonlyArray<AcceptedRecord>;
  readonly rejected: ReadonlyArray<RejectedRecord>;
}

/**
 * Applies the limits the pipeline applies on demand, before anything is paid for: a record with a reserved name
 * (see `RESERVED_RECORD_NAMES`), an empty record, or one over the feature's input limit stays out of the batch and is
 * reported as rejected. The prompt (instructions + record) is judged as the pipeline judges a one-message request:
 * within on its upper bound, refused on its lower bound, and between the two counted by Bedrock's `CountTokens`
 * (`count`, free) before the batch is written, so a record the on-demand path would accept is not refused here. A
 * record that cannot be counted (no `count`, or no answer) is refused as unconfirmed: a batch record cannot be
 * withdrawn once the job runs.
 */
export async function planBatch(
  records: ReadonlyArray<DayRecord>, systemPrompt: string, limits: FeatureLimits, feature: string, count?: CountRecordTokens,
): Promise<BatchPlan> {
  const verdicts = records.map((record) => {
    const reserved = reservedNameRejection(record.name);
    if (reserved) return { record, rejected: reserved };
    if (record.text.trim() === '') return { record, rejected: { code: 'EMPTY_RECORD', reason: 'The record is empty; there is nothing to send to the model.' } };
    return { record, size: classifyTextPrompt(systemPrompt, record.text, limits.maxInputTokens, feature) };
  });
  const counted = await mapLimit(verdicts, COUNT_CONCURRENCY, async (v) => (v.size?.verdict === 'count' && count ? countSafely(count, systemPrompt, v.record.text) : undefined));
  const accepted: AcceptedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (const [i, { record, rejected: refused, size }] of verdicts.entries()) {
    if (refused) {
      rejected.push({ record, ...refused });
    } else if (size!.verdict === 'fits') {
      accepted.push({ ...record, inputTokenBound: size!.bound });
    } else if (size!.verdict === 'too-large') {
      rejected.push({ record, code: size!.rejection.code, reason: size!.rejection.reason });
    } else {
      const refusal = countedTextPrompt(counted[i], textPromptTokens(systemPrompt, record.text), limits.maxInputTokens, feature);
      if (refusal) rejected.push({ record, code: refusal.code, reason: refusal.reason });
      else accepted.push({ ...record, inputTokenBound: counted[i]! });
    }
  }
  return { accepted, rejected };
}

async function countSafely(count: CountRecordTokens, systemPrompt: string, text: string): Promise<number | undefined> {
  try {
    return await count(systemPrompt, text);
  } catch {
    return undefined; // refused as unconfirmed: an unavailable counter never lets an unproven record into the batch
  }
}
