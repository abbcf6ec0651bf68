/** Environment the workflow constructs give their handlers, for tests that load a handler module. */
export const HANDLER_ENV = {
  GENAI_MODEL_ID: 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123',
  GENAI_BASE_MODEL_ID: 'anthropic.claude-haiku-4-5-20251001-v1:0',
  GENAI_MAX_TOKENS: '256',
  GENAI_TAGS: JSON.stringify({ Environment: 'development', Application: 'support', Feature: 'chat', Team: 'support', CostCenter: 'ops' }),
  RESULTS_TABLE: 'results-table',
  INPUT_BUCKET: 'records-bucket',
  INPUT_PREFIX: 'records/',
  RESULTS_BUCKET: 'results-bucket',
  RESULTS_PREFIX: 'results/',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

/**
 * Loads a handler module with the construct-provided environment set first (handlers read it at init).
 * Same module registry as the test file, so SDK client mocks apply to the handler's clients.
 */
export function loadHandler<T>(modulePath: string, env: Record<string, string> = {}): T {
  Object.assign(process.env, HANDLER_ENV, env);
  return require(modulePath) as T;
}

/** Reads a recorded AWS event. */
export function event(name: string): any {
  return JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, 'events', `${name}.json`), 'utf8'));
}

/** A GetObject body as the SDK returns it, for the one method handlers use. */
export function objectBody(text: string): any {
  return { transformToString: async () => text };
}
