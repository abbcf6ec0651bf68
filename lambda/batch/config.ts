/** Bedrock's "minimum number of records per batch inference job" quota (default value). */
export const BEDROCK_MINIMUM_BATCH_RECORDS = 100;
/** How many days back a run looks for batch jobs still to collect (Bedrock's longest job timeout is a week). */
export const DEFAULT_LOOKBACK_DAYS = 14;
/** Where batch input and output live in the results bucket; the batch service role may touch nothing else. */
export const BATCH_PREFIX = 'batch/';

/** Batch inference settings, set by the workflow construct when batch inference is on. */
export interface BatchConfig {
  /** The service role Bedrock assumes to read the input and write the output. */
  readonly roleArn: string;
  /** The model id (or inference profile id) the batch job runs. */
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
 * The batch settings, or undefined when batch inference is off (`BATCH_ROLE_ARN` or `BATCH_MODEL_ID` unset).
 * Throws on a malformed value, so a deployment mistake fails loudly instead of silently running on demand.
 */
export function readBatchConfig(env: NodeJS.ProcessEnv = process.env): BatchConfig | undefined {
  const roleArn = env.BATCH_ROLE_ARN;
  const modelId = env.BATCH_MODEL_ID;
  if (!roleArn || !modelId) return undefined;
  const minimumRecords = wholeNumber(env, 'BATCH_MIN_RECORDS', BEDROCK_MINIMUM_BATCH_RECORDS);
  const lookbackDays = wholeNumber(env, 'BATCH_LOOKBACK_DAYS', DEFAULT_LOOKBACK_DAYS);
  const jobPrefix = env.BATCH_JOB_PREFIX || 'genai-batch';
  if (!JOB_PREFIX.test(jobPrefix)) {
    throw new Error(`BATCH_JOB_PREFIX '${jobPrefix}' is not a valid job name prefix: use at most 52 letters, digits and hyphens, starting and ending with a letter or digit.`);
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
