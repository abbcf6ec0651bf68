import { DEFAULT_INPUT_PREFIX, DEFAULT_RESULTS_PREFIX, ENV } from '../../shared/contract';
import { required } from '../shared/required-env';

/** The instructions a record is sent with when the workflow configures none (`systemPrompt`). */
export const RECORD_INSTRUCTIONS = 'Analyse this record and give a short, factual summary.';

/** Where the scheduled workflow reads its records and writes its results, as the construct sets them. */
export interface ScheduleSettings {
  readonly inputBucket: string;
  /** Each day's records are under `<inputPrefix>YYYY-MM-DD/`. */
  readonly inputPrefix: string;
  readonly resultsBucket: string;
  /** Each day's results (and its control files) are under `<resultsPrefix>YYYY-MM-DD/`. */
  readonly resultsPrefix: string;
  /**
   * Whether an API defers to this workflow (`GENAI_ACCEPTS_DEFERRED`, set by `ApiWorkflow`'s `deferTo`). Only then
   * does the run read `deferred/`: a record there runs as the tenant it names, so without a deferring API (whose
   * role alone the bucket lets write there) any such object is someone else's forgery.
   */
  readonly acceptsDeferred: boolean;
}

/** Reads the settings from the function's environment; a missing bucket is a deployment mistake and throws. */
export function readScheduleSettings(env: NodeJS.ProcessEnv = process.env): ScheduleSettings {
  return {
    inputBucket: required(env, ENV.inputBucket),
    inputPrefix: env[ENV.inputPrefix] ?? DEFAULT_INPUT_PREFIX,
    resultsBucket: required(env, ENV.resultsBucket),
    resultsPrefix: env[ENV.resultsPrefix] ?? DEFAULT_RESULTS_PREFIX,
    acceptsDeferred: env[ENV.acceptsDeferred] === 'true',
  };
}
