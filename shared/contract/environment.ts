/**
 * Names of the environment variables the workflow constructs write and the bundled handlers read. Declared once so
 * that a renamed variable cannot leave one side reading what the other no longer writes.
 */
export const ENV = Object.freeze({
  /** JSON of {@link PipelineConfigDocument}: routing, limits, caches, prices, guards. */
  pipelineConfig: 'GENAI_PIPELINE_CONFIG',
  /** JSON of the function's effective GenAI tags (Application, Feature, ...), resolved at synthesis. */
  tags: 'GENAI_TAGS',
  /** The workflow's instructions (`systemPrompt` prop), kept out of the config JSON so its size is checked apart. */
  systemPrompt: 'GENAI_SYSTEM_PROMPT',
  /** The EMF namespace Powertools Metrics writes to. */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** JSON array of the origins CORS allows (API workflow). */
  allowedOrigins: 'ALLOWED_ORIGINS',
  /** How callers authenticate (API workflow): `IAM` or `API_KEY`; decides where the tenant comes from. */
  authorization: 'GENAI_API_AUTHORIZATION',
  /** The document workflow's results table. */
  resultsTable: 'RESULTS_TABLE',
  /** Documents above this many bytes are refused without being read. */
  maxDocumentBytes: 'MAX_DOCUMENT_BYTES',
  /** Seconds after which another delivery may take a document claim over: the handler timeout plus a minute. */
  claimStaleSeconds: 'CLAIM_STALE_SECONDS',
  /** The scheduled workflow's buckets and prefixes. */
  inputBucket: 'INPUT_BUCKET',
  inputPrefix: 'INPUT_PREFIX',
  resultsBucket: 'RESULTS_BUCKET',
  resultsPrefix: 'RESULTS_PREFIX',
  /**
   * Deferral (API workflow with `deferTo`): the scheduled workflow's input bucket the API writes deferred records to
   * (under `deferred/`), and its results bucket and prefix the API reads their results from. Unset: no deferral.
   */
  deferredBucket: 'GENAI_DEFERRED_BUCKET',
  deferredResultsBucket: 'GENAI_DEFERRED_RESULTS_BUCKET',
  deferredResultsPrefix: 'GENAI_DEFERRED_RESULTS_PREFIX',
  /**
   * Scheduled workflow: `true` when an ApiWorkflow defers to it (`deferTo`). Unset, the run never reads `deferred/`,
   * whose records run as the tenant they name: no one but a deferring API's role may write one.
   */
  acceptsDeferred: 'GENAI_ACCEPTS_DEFERRED',
  /** Batch inference (scheduled workflow); batch is off when the role or the model is unset. */
  batchRoleArn: 'BATCH_ROLE_ARN',
  batchModelId: 'BATCH_MODEL_ID',
  batchMinRecords: 'BATCH_MIN_RECORDS',
  batchLookbackDays: 'BATCH_LOOKBACK_DAYS',
  batchJobPrefix: 'BATCH_JOB_PREFIX',
  /** JSON of the breaker Lambda's configuration (BreakerHandlerConfig): table, application, budget and alarm mappings. */
  breakerConfig: 'GENAI_BREAKER_CONFIG',
  /** Local runs only: endpoints of the Bedrock simulator and the local AWS services. */
  bedrockEndpoint: 'GENAI_BEDROCK_ENDPOINT',
  bedrockControlEndpoint: 'GENAI_BEDROCK_CONTROL_ENDPOINT',
  dynamodbEndpoint: 'GENAI_DYNAMODB_ENDPOINT',
  s3Endpoint: 'GENAI_S3_ENDPOINT',
} as const);

/** The name of one of the variables in {@link ENV}. */
export type EnvName = (typeof ENV)[keyof typeof ENV];
