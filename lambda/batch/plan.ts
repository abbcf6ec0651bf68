import { checkTextPromptLimit, textPromptTokens } from '../core';
import type { FeatureLimits } from '../pipeline/config';
import { reservedNameRejection } from './marker';

/** One record of the day: its key, its name under the day's folder, and its text. */
export interface DayRecord {
  readonly key: string;
  readonly name: string;
  readonly text: string;
}

/** A record the batch job carries, with the upper bound of its prompt's input tokens (what its reservation uses). */
export interface AcceptedRecord extends DayRecord {
  readonly inputTokenBound: number;
}

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
 * (see `RESERVED_RECORD_NAMES`), an empty record, or one estimated above the feature's input limit, stays out of
 * the batch and is reported as rejected. The prompt is estimated at the text level (instructions + record), the
 * same figures the pipeline's estimate gives a one-message request.
 */
export function planBatch(records: ReadonlyArray<DayRecord>, systemPrompt: string, limits: FeatureLimits, feature: string): BatchPlan {
  const accepted: AcceptedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (const record of records) {
    const reserved = reservedNameRejection(record.name);
    if (reserved) {
      rejected.push({ record, ...reserved });
      continue;
    }
    if (record.text.trim() === '') {
      rejected.push({ record, code: 'EMPTY_RECORD', reason: 'The record is empty; there is nothing to send to the model.' });
      continue;
    }
    const tooLarge = checkTextPromptLimit(systemPrompt, record.text, limits.maxInputTokens, feature);
    if (tooLarge) {
      rejected.push({ record, code: tooLarge.code, reason: tooLarge.reason });
      continue;
    }
    accepted.push({ ...record, inputTokenBound: textPromptTokens(systemPrompt, record.text).bound });
  }
  return { accepted, rejected };
}
