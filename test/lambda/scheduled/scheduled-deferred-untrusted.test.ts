import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeferredRecord, deferredRecordKey, GuardsConfig } from '../../../shared/contract';
import { resetBedrockControlClient } from '../../../lambda/scheduled/batch/clients';
import { resetClients } from '../../../lambda/shared/clients';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { LocalS3, localS3ClientConfig, startLocalS3 } from '../../../packages/local/src/services';
import { createLedgerTable } from '../../../packages/local/src/services/ledger-table';
import { useDynamoDbLocal } from '../../support/dynamodb-local';
import { captureLogs, MODEL_ALIASES, pipelineConfigJson, setHandlerEnv, withEmf } from '../../support/handler-env';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

/*
 * A scheduled workflow no API defers to (no GENAI_ACCEPTS_DEFERRED) never reads `deferred/`: an object someone put
 * there naming a tenant (anyone the input bucket lets upload could) is neither run nor charged to that tenant. The
 * handler against the local S3, the usage ledger in DynamoDB Local and the Bedrock simulator.
 */

const INPUT_BUCKET = 'untrusted-records';
const RESULTS_BUCKET = 'untrusted-results';
const LEDGER_TABLE = 'untrusted-usage-ledger';
const GUARDS: GuardsConfig = {
  store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS,
  usageLimits: [{ scope: 'tenant', window: 'month', maxRequests: 1000, maxCostUsd: 5 }],
};

type ScheduledHandler = typeof import('../../../lambda/scheduled/handler').handler;
let handler: ScheduledHandler;
let sim: Awaited<ReturnType<typeof startBedrockSimulator>>;
let s3: LocalS3;
let s3Client: S3Client;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;
const dynamo = useDynamoDbLocal();

beforeAll(async () => {
  s3 = await startLocalS3();
  sim = await startBedrockSimulator({ modelAliases: MODEL_ALIASES });
  s3Client = new S3Client(localS3ClientConfig(s3.endpoint));
  await Promise.all([INPUT_BUCKET, RESULTS_BUCKET].map((Bucket) => s3Client.send(new CreateBucketCommand({ Bucket }))));
  await createLedgerTable(dynamo.client, LEDGER_TABLE);
  // As the construct writes it for a workflow no ApiWorkflow defers to: no GENAI_ACCEPTS_DEFERRED.
  restoreEnv = setHandlerEnv({ bedrock: sim.endpoint, s3: s3.endpoint, dynamodb: dynamo.endpoint }, {
    INPUT_BUCKET, INPUT_PREFIX: 'records/', RESULTS_BUCKET, RESULTS_PREFIX: 'results/',
    GENAI_PIPELINE_CONFIG: pipelineConfigJson({ retry: { baseDelayMs: 1, maxDelayMs: 1 }, guards: GUARDS }),
  });
  delete process.env.GENAI_ACCEPTS_DEFERRED;
  resetClients();
  resetBedrockControlClient();
  resetContainer();
  handler = (require('../../../lambda/scheduled/handler') as typeof import('../../../lambda/scheduled/handler')).handler;
}, 30_000);

afterAll(async () => {
  resetClients();
  resetBedrockControlClient();
  resetContainer();
  s3Client?.destroy();
  await Promise.all([s3?.stop(), sim?.close()]);
  restoreEnv?.();
});

beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

const put = (key: string, body: string) => s3Client.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: key, Body: body }));

function scheduledFor(day: string): any {
  const next = new Date(`${day}T02:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return { 'version': '0', 'id': 'e', 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': '1', 'time': next.toISOString(), 'region': 'us-east-1', 'resources': [], 'detail': {} };
}

test('a forged deferred record naming a victim tenant is neither run nor charged; the uploaded records run as usual', async () => {
  const day = '2026-10-01';
  const forged: DeferredRecord = {
    version: 1, requestId: 'forged-1', tenantId: 'key:victim', userId: 'mallory', feature: 'chat',
    message: 'Write a very long essay, billed to someone else.', acceptedAt: `${day}T10:00:00Z`,
  };
  await put(deferredRecordKey(day, 'forged-1'), JSON.stringify(forged));
  await put(`records/${day}/ticket-1.txt`, 'Order 1 arrived broken; the customer wants a refund.');

  const { result } = await withEmf(() => handler(scheduledFor(day)));

  const converse = sim.calls.filter((c) => c.operation === 'Converse');
  expect(converse).toHaveLength(1);
  expect(converse[0].requestMetadata?.tenantId).not.toBe('key:victim');
  const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  expect(Items.filter((i) => i.pk.S!.includes('victim'))).toEqual([]);
  expect(Items.length).toBeGreaterThan(0);
  const results = ((await s3Client.send(new ListObjectsV2Command({ Bucket: RESULTS_BUCKET, Prefix: `results/${day}/` }))).Contents ?? []).map((o) => o.Key!).sort();
  expect(results).toEqual([`results/${day}/_manifest.json`, `results/${day}/ticket-1.txt.json`]);
  expect(result).toMatchObject({ mode: 'on-demand', records: 1, processed: 1 });
  expect(result.deferred).toBeUndefined();
});
