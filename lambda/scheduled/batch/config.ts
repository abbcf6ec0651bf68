import { BATCH_PREFIX, BEDROCK_MINIMUM_BATCH_RECORDS, DEFAULT_BATCH_LOOKBACK_DAYS, ENV } from '../../../shared/contract';

// The defaults live in the contract, which the constructs read too; re-exported for the batch modules.
export { BATCH_PREFIX, BEDROCK_MINIMUM_BATCH_RECORDS, DEFAULT_BATCH_LOOKBACK_DAYS };

/** Batch inference settings, set by the workflow construct when batch inference is on. */
export interface BatchConfig {
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly roleArn: string;
  /**
   * The model id (or system-defined cross-region profile id) the batch job runs, with its geography prefix: the job
   * is created with it and its records are priced by it.
   */
  readonly modelId: string;
  /** A day with at least this many records runs as a batch job; fewer run on demand. */
  readonly minimumRecords: number;
  /** Job names are `<jobPrefix>-<YYYY-MM-DD>`: one job per day, and the day can be read back from an event. */
  readonly jobPrefix: string;
  /** Days back to look for pending jobs on each run. */
  readonly lookbackDays: number;
}

// Bedrock job names: at most 63 characters of [a-zA-Z0-9] and hyphens; the day suffix takes 11.
const JOB_PREFIX = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,51}$/;

/**
 * The batch settings, or undefined when batch inference is off ({@link ENV.batchRoleArn} or {@link ENV.batchModelId}
 * unset).
 * Throws on a malformed value, so a deployment mistake fails loudly instead of silently running on demand.
 */
export function readBatchConfig(env: NodeJS.ProcessEnv = process.env): BatchConfig | undefined {
  const roleArn = env[ENV.batchRoleArn];
  const modelId = env[ENV.batchModelId];
  if (!roleArn || !modelId) return undefined;
  const minimumRecords = wholeNumber(env, ENV.batchMinRecords, BEDROCK_MINIMUM_BATCH_RECORDS);
  const lookbackDays = wholeNumber(env, ENV.batchLookbackDays, DEFAULT_BATCH_LOOKBACK_DAYS);
  const jobPrefix = env[ENV.batchJobPrefix] || 'genai-batch';
  if (!JOB_PREFIX.test(jobPrefix)) {
    throw new Error(`${ENV.batchJobPrefix} '${jobPrefix}' is not a valid job name prefix: use at most 52 letters, digits and hyphens, starting and ending with a letter or digit.`);
  }
  return { roleArn, modelId, minimumRecords, jobPrefix, lookbackDays };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got '${raw}'.`);
  return value;
}

/** The job name of a day's batch. */
export function jobNameFor(config: BatchConfig, day: string): string {
  return `${config.jobPrefix}-${day}`;
}

/** The day a job name of this workflow stands for, or undefined for another workflow's job. */
export function dayOfJobName(config: BatchConfig, jobName: string | undefined): string | undefined {
  if (!jobName?.startsWith(`${config.jobPrefix}-`)) return undefined;
  const day = jobName.slice(config.jobPrefix.length + 1);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : undefined;
}
