/** The state of a day's batch job, kept next to its results: `<resultsPrefix><day>/_batch.json`. */
export interface BatchMarker {
  readonly version: 1;
  readonly day: string;
  /** `pending` until the job's results are written, then `collected`. */
  readonly status: 'pending' | 'collected';
  readonly jobName: string;
  /**
   * Absent when CreateModelInvocationJob answered that the job already exists (a run that died before writing this
   * marker): the job's state change event brings the ARN.
   */
  readonly jobArn?: string;
  readonly modelId: string;
  /** Records submitted in the job. */
  readonly records: number;
  /** Records refused before submission (empty, or above the input limit); their results are already written. */
  readonly rejected: number;
  readonly inputUri: string;
  readonly outputUri: string;
  readonly startedAt: string;
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

/**
 * Record ids are generated, not taken from the file names: Bedrock's documentation asks for alphanumeric record
 * ids (older pages: 11 characters), and does not keep the input order in the output.
 */
export function recordIdFor(index: number): string {
  return `R${String(index + 1).padStart(10, '0')}`;
}
