/**
 * The local parts an API handler test runs against, started once per file: the Bedrock simulator, DynamoDB Local
 * with the file's tables, the handler's environment pointed at them, and the handler's logs captured per test.
 * Registers its own jest hooks, so a test file declares what it needs in one call.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resetContainer } from '../../lambda/composition/pipeline-runtime';
import { resetClients } from '../../lambda/shared/clients';
import { BedrockSimulator, startBedrockSimulator } from '../../packages/local/src/bedrock-simulator';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../packages/local/src/services';
import { createLedgerTable } from '../../packages/local/src/services/ledger-table';
import { captureLogs, createCacheTable, MODEL_ALIASES, PipelineConfigOptions, pipelineConfigJson, setHandlerEnv } from './handler-env';

/** What {@link useApiHarness} starts. */
export interface ApiHarnessOptions {
  /** Cache tables (response or embedding cache) to create. */
  readonly cacheTables?: readonly string[];
  /** Usage-ledger tables to create. */
  readonly ledgerTables?: readonly string[];
  /** The pipeline configuration deployed at the start. @default pipelineConfigJson() */
  readonly config?: PipelineConfigOptions;
}

/** The running parts; set once `beforeAll` has run. */
export interface ApiHarness {
  readonly sim: BedrockSimulator;
  readonly dynamodb: LocalDynamoDb;
  readonly ddb: DynamoDBClient;
  /** This test's handler log lines. */
  readonly logs: ReturnType<typeof captureLogs>;
  /** Deploys another configuration: the next invocation is a cold start that reads it. */
  useConfig(options: PipelineConfigOptions): void;
}

export function useApiHarness(options: ApiHarnessOptions = {}): ApiHarness {
  const parts = {} as { -readonly [K in keyof ApiHarness]: ApiHarness[K] };
  let restoreEnv: (() => void) | undefined;
  parts.useConfig = (config) => {
    process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson(config);
    resetContainer();
  };

  beforeAll(async () => {
    [parts.sim, parts.dynamodb] = await Promise.all([startBedrockSimulator({ modelAliases: MODEL_ALIASES }), startDynamoDbLocal()]);
    parts.ddb = new DynamoDBClient(localClientConfig(parts.dynamodb.endpoint));
    await Promise.all([
      ...(options.cacheTables ?? []).map((name) => createCacheTable(parts.ddb, name)),
      ...(options.ledgerTables ?? []).map((name) => createLedgerTable(parts.ddb, name)),
    ]);
    restoreEnv = setHandlerEnv({ bedrock: parts.sim.endpoint, dynamodb: parts.dynamodb.endpoint }, { GENAI_PIPELINE_CONFIG: pipelineConfigJson(options.config) });
    resetContainer();
  }, 120_000); // above startDynamoDbLocal's own 90 s startup bound: a cold JVM on a loaded CI machine is slow

  afterAll(async () => {
    resetClients();
    resetContainer();
    parts.ddb?.destroy();
    await Promise.all([parts.dynamodb?.stop(), parts.sim?.close()]);
    restoreEnv?.();
  });

  beforeEach(() => {
    parts.sim.reset();
    parts.logs = captureLogs();
  });
  afterEach(() => parts.logs.restore());

  return parts;
}
