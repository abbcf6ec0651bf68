/**
 * The local parts a scheduled-workflow handler test runs against, started once per file: the local S3 with the
 * input and results buckets, the Bedrock simulator (its batch control plane reading and writing that S3), DynamoDB
 * Local when the file needs a usage ledger, the handler's environment as the construct writes it, the handler loaded
 * after that environment is set (it reads its buckets at load, as Lambda loads it), and its logs captured per test.
 * Registers its own jest hooks, as `useApiHarness` does for the API handler.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { resetContainer } from '../../lambda/composition/pipeline-runtime';
import { resetBedrockControlClient } from '../../lambda/scheduled/batch/clients';
import { resetClients } from '../../lambda/shared/clients';
import { startBedrockSimulator } from '../../packages/local/src/bedrock-simulator';
import { LocalS3, localS3ClientConfig, startLocalS3 } from '../../packages/local/src/services';
import { createLedgerTable } from '../../packages/local/src/services/ledger-table';
import { TestDynamoDb, useDynamoDbLocal } from './dynamodb-local';
import { captureLogs, MODEL_ALIASES, PipelineConfigOptions, pipelineConfigJson, setHandlerEnv } from './handler-env';

type HandlerModule = typeof import('../../lambda/scheduled/handler');
type SimulatorOptions = NonNullable<Parameters<typeof startBedrockSimulator>[0]>;
/** The simulator with its batch control plane. */
export type ScheduledSimulator = Awaited<ReturnType<typeof startBedrockSimulator>>;

/** What {@link useScheduledHarness} starts. */
export interface ScheduledHarnessOptions {
  readonly inputBucket: string;
  readonly resultsBucket: string;
  /** The pipeline configuration deployed. */
  readonly config: PipelineConfigOptions;
  /**
   * Further handler environment (batch settings, `GENAI_ACCEPTS_DEFERRED`).
   * @default - none: a workflow without batch that no API defers to
   */
  readonly env?: Record<string, string>;
  /** Simulator options beyond the model aliases, given the local S3's endpoint. @default - no batch options */
  readonly simulator?: (s3Endpoint: string) => SimulatorOptions;
  /** A usage-ledger table to create in a DynamoDB Local the harness starts. @default - no DynamoDB */
  readonly ledgerTable?: string;
  /** A new container before each test, so its in-memory usage guard has counted nothing. @default false */
  readonly freshContainerEachTest?: boolean;
}

/** The running parts; set once `beforeAll` has run. */
export interface ScheduledHarness {
  readonly sim: ScheduledSimulator;
  readonly s3: LocalS3;
  readonly s3Client: S3Client;
  /** DynamoDB Local; only with `ledgerTable`. */
  readonly dynamo: TestDynamoDb;
  readonly handler: HandlerModule['handler'];
  readonly ScheduledRunIncompleteError: HandlerModule['ScheduledRunIncompleteError'];
  /** This test's handler log lines. */
  readonly logs: ReturnType<typeof captureLogs>;
  /** Writes an object to the input bucket. */
  putInput(key: string, body: string, contentType?: string): Promise<unknown>;
  /** A result object of the results bucket, parsed. */
  resultJson(key: string): Promise<any>;
  /** The results bucket's keys under `prefix`, sorted. */
  resultKeys(prefix: string): Promise<string[]>;
}

// Starting the local S3, the simulator and (with a ledger) DynamoDB Local can outlast jest's default on a loaded machine.
const START_TIMEOUT_MS = 60_000;

export function useScheduledHarness(options: ScheduledHarnessOptions): ScheduledHarness {
  const dynamo = options.ledgerTable === undefined ? undefined : useDynamoDbLocal();
  const parts = {} as { -readonly [K in keyof ScheduledHarness]: ScheduledHarness[K] };
  Object.defineProperty(parts, 'dynamo', {
    get: () => {
      if (dynamo === undefined) throw new Error('This scheduled harness has no DynamoDB Local: give it a ledgerTable.');
      return dynamo;
    },
  });
  let restoreEnv: (() => void) | undefined;
  parts.putInput = (key, body, contentType) => parts.s3Client.send(new PutObjectCommand({ Bucket: options.inputBucket, Key: key, Body: body, ContentType: contentType }));
  parts.resultJson = async (key) => {
    const object = await parts.s3Client.send(new GetObjectCommand({ Bucket: options.resultsBucket, Key: key }));
    return JSON.parse(await object.Body!.transformToString('utf8'));
  };
  parts.resultKeys = async (prefix) => {
    const { Contents } = await parts.s3Client.send(new ListObjectsV2Command({ Bucket: options.resultsBucket, Prefix: prefix }));
    return (Contents ?? []).map((o) => o.Key!).sort();
  };

  beforeAll(async () => {
    // The simulator's batch jobs read their input from, and write their output to, the local S3: it starts first.
    parts.s3 = await startLocalS3();
    parts.sim = await startBedrockSimulator({ modelAliases: MODEL_ALIASES, ...options.simulator?.(parts.s3.endpoint) });
    parts.s3Client = new S3Client(localS3ClientConfig(parts.s3.endpoint));
    await Promise.all([options.inputBucket, options.resultsBucket].map((Bucket) => parts.s3Client.send(new CreateBucketCommand({ Bucket }))));
    if (dynamo !== undefined) await createLedgerTable(dynamo.client, options.ledgerTable!);
    restoreEnv = setHandlerEnv({ bedrock: parts.sim.endpoint, s3: parts.s3.endpoint, dynamodb: dynamo?.endpoint }, {
      INPUT_BUCKET: options.inputBucket, INPUT_PREFIX: 'records/', RESULTS_BUCKET: options.resultsBucket, RESULTS_PREFIX: 'results/',
      GENAI_PIPELINE_CONFIG: pipelineConfigJson(options.config),
      // As the construct writes it for a workflow no ApiWorkflow defers to, unless the file says otherwise.
      GENAI_ACCEPTS_DEFERRED: undefined,
      ...options.env,
    });
    resetClients();
    resetBedrockControlClient();
    resetContainer();
    ({ handler: parts.handler, ScheduledRunIncompleteError: parts.ScheduledRunIncompleteError } = require('../../lambda/scheduled/handler') as HandlerModule);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    resetClients();
    resetBedrockControlClient();
    resetContainer();
    parts.s3Client?.destroy();
    await Promise.all([parts.s3?.stop(), parts.sim?.close()]);
    restoreEnv?.();
  });

  beforeEach(() => {
    parts.sim.reset();
    if (options.freshContainerEachTest) resetContainer();
    parts.logs = captureLogs();
  });
  afterEach(() => parts.logs.restore());

  return parts;
}

/** The recorded shape of the 02:00 schedule event of the day after `day` (the run that processes `day`). */
export function scheduledFor(day: string): any {
  const next = new Date(`${day}T02:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return { 'version': '0', 'id': 'e', 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': '1', 'time': next.toISOString(), 'region': 'us-east-1', 'resources': [], 'detail': {} };
}
