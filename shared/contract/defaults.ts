/** Defaults shared by the constructs (what they write when a prop is left out) and the runtime (what it assumes). */

/** Requests whose input-token upper bound exceeds this get 413 before any model call. */
export const DEFAULT_MAX_INPUT_TOKENS = 50_000;
/** The output cap (`maxTokens`) of every call. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;
/** Bedrock's "minimum number of records per batch inference job" quota (its default value). */
export const BEDROCK_MINIMUM_BATCH_RECORDS = 100;
/** How many days back a scheduled run looks for batch jobs still to collect (Bedrock's longest job timeout is a week). */
export const DEFAULT_BATCH_LOOKBACK_DAYS = 14;
/** Where batch input and output live in the results bucket; the batch service role may touch nothing else. */
export const BATCH_PREFIX = 'batch/';
/** The response cache's default TTL. */
export const DEFAULT_RESPONSE_CACHE_TTL_SECONDS = 3600;
/** The response cache's default key namespace. */
export const DEFAULT_RESPONSE_CACHE_NAMESPACE = 'v1';
/** Model calls per request at most (retries and fallbacks together), calls per model, and the backoff bounds. */
export const DEFAULT_RETRY = Object.freeze({ maxAttempts: 4, attemptsPerModel: 2, baseDelayMs: 200, maxDelayMs: 2_000, fallbackUpward: false });
/** The scheduled workflow's default prefixes. */
export const DEFAULT_INPUT_PREFIX = 'records/';
export const DEFAULT_RESULTS_PREFIX = 'results/';

/**
 * The tag values the runtime writes (metric dimensions, records) when a function has no such GenAI tag, and the
 * values the constructs' metrics and alarms read for an untagged workflow: one home, so a dashboard of an untagged
 * workflow watches the series its function writes.
 */
export const UNTAGGED = Object.freeze({
  application: 'unknown',
  feature: 'default',
  environment: 'unknown',
} as const);
