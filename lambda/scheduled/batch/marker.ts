import { DEFERRED_RESULT_PREFIX } from '../../../shared/contract';
import type { StoredBatchSpend } from './spend';

/** The state of a day's batch job, kept next to its results: `<resultsPrefix><day>/_batch.json`. */
export interface BatchMarker {
  readonly version: 1;
  readonly day: string;
  /** `pending` until the job's results are written, then `collected`. */
  readonly status: 'pending' | 'collected';
  readonly jobName: string;
  /**
   * Absent when CreateModelInvocationJob answered that the job already exists (a run that died before writing this
   * marker): the job's state change event brings the ARN, or collection looks the job up by its name.
   */
  readonly jobArn?: string;
  readonly modelId: string;
  /** Records submitted in the job. */
  readonly records: number;
  /**
   * Records refused before submission (a reserved name, empty, or above the input limit); their results are already
   * written, except for reserved names, which get none.
   */
  readonly rejected: number;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly startedAt: string;
  /**
   * The job's reservation on the guard chain, settled to the exact batch cost at collection. Absent on markers
   * written before batch spend was governed: those settle nothing.
   */
  readonly spend?: StoredBatchSpend;
  /** The job's final status, once collected. */
  readonly jobStatus?: string;
  readonly collectedAt?: string;
}

/** Which input record each record id of a job stands for: `<resultsPrefix><day>/_batch-records.json`. */
export interface BatchRecordIndex {
  readonly records: ReadonlyArray<{ readonly recordId: string; readonly key: string; readonly name: string }>;
}

/** Keys of a day's batch objects. */
export function batchKeys(resultsPrefix: string, batchPrefix: string, day: string) {
  return {
    marker: `${resultsPrefix}${day}/_batch.json`,
    index: `${resultsPrefix}${day}/_batch-records.json`,
    manifest: `${resultsPrefix}${day}/_manifest.json`,
    input: `${batchPrefix}input/${day}/records.jsonl`,
    outputPrefix: `${batchPrefix}output/${day}/`,
    result: (name: string) => `${resultsPrefix}${day}/${name}.json`,
  };
}

/** The code a record gets when its name is reserved for one of the day's control files. */
export const RESERVED_NAME = 'RESERVED_NAME';

/**
 * Record names reserved for the day's control files: the result of a record named `_manifest`, `_batch` or
 * `_batch-records` (`<resultsPrefix><day>/<name>.json`) would overwrite the day's manifest, batch marker or record
 * index. Such a record is rejected with code {@link RESERVED_NAME} and gets no result file.
 */
export const RESERVED_RECORD_NAMES: ReadonlyArray<string> = ['_manifest', '_batch', '_batch-records'];

/**
 * Why a record cannot be processed under its name (a control file's, or one starting with the deferred results'
 * `deferred-`), or undefined when the name is free.
 */
export function reservedNameRejection(name: string): { readonly code: string; readonly reason: string } | undefined {
  if (name.startsWith(DEFERRED_RESULT_PREFIX)) {
    return {
      code: RESERVED_NAME,
      reason: `The record name '${name}' is reserved: results named '${DEFERRED_RESULT_PREFIX}*' are the API's deferred requests' (see DEFERRED_PREFIX), and an upload must not stand in for one. Rename the record.`,
    };
  }
  if (!RESERVED_RECORD_NAMES.includes(name)) return undefined;
  return {
    code: RESERVED_NAME,
    reason: `The record name '${name}' is reserved: its result '${name}.json' would overwrite one of the day's control files (${RESERVED_RECORD_NAMES.map((n) => `${n}.json`).join(', ')}). Rename the record.`,
  };
}

/**
 * Record ids are generated, not taken from the file names: Bedrock's documentation asks for alphanumeric record
 * ids (older pages: 11 characters), and does not keep the input order in the output.
 */
export function recordIdFor(index: number): string {
  return `R${String(index + 1).padStart(10, '0')}`;
}
