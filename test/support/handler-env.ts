import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS, GuardsConfig, ModelTier, NearLimitConfig, PipelineConfigDocument, RetryConfig } from '../../shared/contract';
import { emfRecords, stdoutLinesOf } from '../lambda/pipeline/support';

export const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
export const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
export const OPUS_45 = 'anthropic.claude-opus-4-5-20251101-v1:0';
export const TITAN_EMBED_V2 = 'amazon.titan-embed-text-v2:0';

/** The application inference profiles the workflow construct creates, one per routed model. */
export const PROFILE_ARNS = {
  simple: 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/haiku45support',
  medium: 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/sonnet45support',
  complex: 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/opus45support',
} as const;

/** What the simulator must know to resolve the opaque profile ARNs (Bedrock knows it from the profile). */
export const MODEL_ALIASES: Record<string, string> = {
  [PROFILE_ARNS.simple]: HAIKU_45,
  [PROFILE_ARNS.medium]: SONNET_45,
  [PROFILE_ARNS.complex]: OPUS_45,
};

/**
 * The tiers as lib/workflows/workflow-runtime.ts writes them with its default routing: invoked through the
 * application profile, priced by the US cross-region model id (10% above the global price for the 4.5 models).
 */
export const TIERS = {
  simple: { invokeId: PROFILE_ARNS.simple, modelId: `us.${HAIKU_45}` },
  medium: { invokeId: PROFILE_ARNS.medium, modelId: `us.${SONNET_45}` },
  complex: { invokeId: PROFILE_ARNS.complex, modelId: `us.${OPUS_45}` },
};

export const GENAI_TAGS = { Environment: 'development', Application: 'support', Feature: 'chat', Team: 'support', CostCenter: 'ops' };

/** Options of {@link pipelineConfigJson}; what a workflow's props decide. */
export interface PipelineConfigOptions {
  readonly tiers?: PipelineConfigDocument['tiers'];
  readonly maxInputTokens?: number;
  readonly maxTokens?: number;
  readonly responseCacheTable?: string;
  readonly embeddingTable?: string;
  /** Not written by the construct (which leaves the runtime defaults); tests shorten the backoff with it. */
  readonly retry?: Partial<RetryConfig>;
  readonly maxHintedTier?: ModelTier;
  readonly guards?: GuardsConfig;
  /** The default feature's `nearLimit` policy (the workflows' `nearLimit` prop). */
  readonly nearLimit?: NearLimitConfig;
}

/** GENAI_PIPELINE_CONFIG as createWorkflowRuntime (lib/workflows/workflow-runtime.ts) builds it. */
export function pipelineConfigJson(options: PipelineConfigOptions = {}): string {
  const document: PipelineConfigDocument = {
    tiers: options.tiers ?? TIERS,
    defaultLimits: {
      maxInputTokens: options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS, maxOutputTokens: options.maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
      ...(options.maxHintedTier ? { maxHintedTier: options.maxHintedTier } : {}),
      ...(options.nearLimit ? { nearLimit: options.nearLimit } : {}),
    },
    promptCaching: true,
    responseCache: options.responseCacheTable ? { tableName: options.responseCacheTable, ttlSeconds: 86_400, namespace: 'v1' } : undefined,
    embedding: options.embeddingTable
      ? { tableName: options.embeddingTable, invokeId: TITAN_EMBED_V2, modelId: TITAN_EMBED_V2, dimensions: 256, ttlSeconds: 2_592_000 }
      : undefined,
    priceOverrides: {},
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.guards ? { guards: options.guards } : {}),
  };
  return JSON.stringify(document);
}

/** Endpoints of the local stand-ins for Bedrock, DynamoDB and S3. */
export interface LocalEndpoints {
  readonly bedrock: string;
  readonly dynamodb?: string;
  readonly s3?: string;
}

/**
 * Sets the environment the construct gives a handler, pointed at local endpoints, with dummy credentials.
 * Returns a function that restores the previous environment (jest runs test files in one process).
 */
export function setHandlerEnv(endpoints: LocalEndpoints, variables: Record<string, string | undefined>): () => void {
  const values: Record<string, string | undefined> = {
    GENAI_TAGS: JSON.stringify(GENAI_TAGS),
    POWERTOOLS_METRICS_NAMESPACE: 'GenAI/FinOps',
    GENAI_BEDROCK_ENDPOINT: endpoints.bedrock,
    GENAI_DYNAMODB_ENDPOINT: endpoints.dynamodb,
    GENAI_S3_ENDPOINT: endpoints.s3,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    GENAI_SYSTEM_PROMPT: undefined,
    POWERTOOLS_DEV: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
    BATCH_ROLE_ARN: undefined,
    BATCH_MODEL_ID: undefined,
    ...variables,
  };
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  apply(values);
  return () => apply(saved);
}

function apply(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * The response cache table as ResponseCacheTable creates it (partition key `cacheKey`), without TTL: DynamoDB Local
 * deletes expired items by the machine's clock, which tests on a fixed clock do not share. The cache checks
 * `expiresAt` itself on every read, so TTL deletion is only garbage collection.
 */
export async function createCacheTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }],
  }));
}

/** The document workflow's results table: partition key `objectKey`, sort key `versionId`. */
export async function createResultsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'objectKey', AttributeType: 'S' }, { AttributeName: 'versionId', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'objectKey', KeyType: 'HASH' }, { AttributeName: 'versionId', KeyType: 'RANGE' }],
  }));
}

/** A recorded AWS event from ./events. */
export function event(name: 'api-gateway-proxy' | 'eventbridge-object-created' | 'eventbridge-scheduled' | 's3-object-created'): any {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'packages', 'local', 'events', `${name}.json`), 'utf8'));
}

/**
 * Runs a handler call with stdout captured: its result and the EMF records it wrote. Not re-entrant: wrap concurrent
 * calls in one `withEmf(() => Promise.all([...]))`.
 */
export async function withEmf<T>(call: () => Promise<T>): Promise<{ result: T; emf: Array<Record<string, any>> }> {
  let result: T | undefined;
  const lines = await stdoutLinesOf(async () => {
    result = await call();
  });
  return { result: result as T, emf: emfRecords(lines) };
}

/** Silences the handlers' structured logs (stderr) for the duration of a test file, keeping them for assertions. */
export function captureLogs(): { readonly lines: () => Array<Record<string, any>>; readonly restore: () => void } {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((line?: unknown) => {
    lines.push(String(line));
  });
  return {
    lines: () => lines.flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    }),
    restore: () => spy.mockRestore(),
  };
}
