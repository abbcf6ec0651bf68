import { enforcePromptLimit } from '../pipeline/stages/enforce-limits';
import { estimateRequestTokens } from '../pipeline/stages/estimate-tokens';
import { PipelineError } from '../pipeline/errors';
import type { FeatureLimits } from '../pipeline/config';
import type { GenAiRequest } from '../pipeline/types';
import { reservedNameRejection } from './marker';

/** One record of the day: its key, its name under the day's folder, and its text. */
export interface DayRecord {
  readonly key: string;
  readonly name: string;
  readonly text: string;
}

/** A record refused before any model call, with the code and reason the on-demand pipeline would give. */
export interface RejectedRecord {
  readonly record: DayRecord;
  readonly code: string;
  readonly reason: string;
}

/** Which records a batch job would carry. */
export interface BatchPlan {
  readonly accepted: ReadonlyArray<DayRecord>;
  readonly rejected: ReadonlyArray<RejectedRecord>;
}

/**
 * Applies the limits the pipeline applies on demand, before anything is paid for: a record with a reserved name
 * (see `RESERVED_RECORD_NAMES`), an empty record, or one estimated above the feature's input limit, stays out of
 * the batch and is reported as rejected.
 */
export function planBatch(records: ReadonlyArray<DayRecord>, systemPrompt: string, limits: FeatureLimits, feature: string): BatchPlan {
  const accepted: DayRecord[] = [];
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
    const request = { message: record.text, history: [], hints: {} } as unknown as GenAiRequest;
    try {
      enforcePromptLimit(estimateRequestTokens(request, systemPrompt), limits, feature);
      accepted.push(record);
    } catch (error) {
      if (!(error instanceof PipelineError)) throw error;
      rejected.push({ record, code: error.code, reason: error.message });
    }
  }
  return { accepted, rejected };
}
