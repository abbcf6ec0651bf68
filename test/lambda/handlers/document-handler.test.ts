import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../../../lambda/pipeline/errors';
import { resetClients } from '../../../lambda/runtime/clients';
import { resetContainer } from '../../../lambda/runtime/pipeline-runtime';
import { BedrockSimulator, startBedrockSimulator } from '../../../local/bedrock-simulator';
import { LocalDynamoDb, LocalS3, localClientConfig, localS3ClientConfig, startDynamoDbLocal, startLocalS3 } from '../../../local/services';
import { usd } from '../pipeline/support';
import { captureLogs, createResultsTable, event, HAIKU_45, MODEL_ALIASES, pipelineConfigJson, setHandlerEnv, withEmf } from './handler-env';

// Prices per 1M tokens (lambda/core/model-catalog.ts): a short document routes to Claude Haiku 4.5 through a US
// profile, the global $1 in / $5 out plus the 10% regional premium = $1.10 / $5.50.

const RESULTS_TABLE = 'support-document-results';
const BUCKET = 'support-documents';
// The key of the recorded events: URL-encoded in the S3 notification, as stored in the EventBridge event.
const KEY = 'incoming/Ticket 4711 – refund?.txt';
const TICKET = 'Customer 4711 asks for a refund of order 9921: the blender arrived broken on 2026-11-20. '
  + 'They attached photos and want the money back to their card rather than store credit.';

type DocumentHandler = typeof import('../../../lambda/handlers/document').handler;
let handler: DocumentHandler;
let sim: BedrockSimulator;
let dynamodb: LocalDynamoDb;
let s3: LocalS3;
let ddb: DynamoDBClient;
let s3Client: S3Client;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  [sim, dynamodb, s3] = await Promise.all([startBedrockSimulator({ modelAliases: MODEL_ALIASES }), startDynamoDbLocal(), startLocalS3()]);
  ddb = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
  s3Client = new S3Client(localS3ClientConfig(s3.endpoint));
  await createResultsTable(ddb, RESULTS_TABLE);
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3Client.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  restoreEnv = setHandlerEnv({ bedrock: sim.endpoint, dynamodb: dynamodb.endpoint, s3: s3.endpoint }, {
    RESULTS_TABLE,
    // The construct leaves the retry defaults; a 1 ms backoff keeps the throttling test fast.
    GENAI_PIPELINE_CONFIG: pipelineConfigJson({ retry: { baseDelayMs: 1, maxDelayMs: 1 } }),
  });
  resetContainer();
  // The handler reads RESULTS_TABLE when it is loaded, as Lambda loads it after setting the environment.
  ({ handler } = require('../../../lambda/handlers/document') as { handler: DocumentHandler });
});

afterAll(async () => {
  resetClients();
  resetContainer();
  ddb?.destroy();
  s3Client?.destroy();
  await Promise.all([dynamodb?.stop(), s3?.stop(), sim?.close()]);
  restoreEnv?.();
});

beforeEach(() => {
  sim.reset();
  logs = captureLogs();
});
afterEach(() => logs.restore());

/** Uploads a new version of the document; every test gets its own version, hence its own result item. */
async function upload(body: string | Buffer, key = KEY): Promise<{ versionId: string; size: number }> {
  const put = await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/plain' }));
  return { versionId: put.VersionId!, size: Buffer.byteLength(body) };
}

/** The recorded S3 notification for that version (key URL-encoded as S3 sends it). */
function s3Event(version: { versionId: string; size: number }): unknown {
  const e = event('s3-object-created');
  Object.assign(e.Records[0].s3.object, { versionId: version.versionId, size: version.size });
  return e;
}

/** The recorded EventBridge "Object Created" event for that version. */
function eventBridgeEvent(version: { versionId: string; size: number }): unknown {
  const e = event('eventbridge-object-created');
  Object.assign(e.detail.object, { 'version-id': version.versionId, size: version.size });
  return e;
}

async function resultItem(versionId: string, key = KEY) {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: RESULTS_TABLE, Key: { objectKey: { S: key }, versionId: { S: versionId } }, ConsistentRead: true }));
  return Item;
}

const deliver = (e: unknown, requestId: string) => withEmf(() => handler(e, { awsRequestId: requestId })).then((r) => r.result);

describe('document handler with the real SDK, DynamoDB Local, a local S3 and the Bedrock simulator', () => {
  test('summarises an uploaded document from its URL-encoded S3 notification and records the result with its cost', async () => {
    // Given a ticket uploaded as "incoming/Ticket 4711 – refund?.txt"
    const version = await upload(TICKET);

    // When S3 notifies the handler
    const { results } = await deliver(s3Event(version), 'delivery-1');

    // Then the decoded key was processed once, and its item says so with the cost of what Bedrock billed
    const billed = sim.calls[0].usage!;
    const expectedCost = usd(billed.inputTokens, 1.1) + usd(billed.outputTokens, 5.5);
    expect(sim.calls).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ key: KEY, versionId: version.versionId, status: 'processed' });
    expect(results[0].costUsd).toBeCloseTo(expectedCost, 12);
    const item = await resultItem(version.versionId);
    expect(item?.status.S).toBe('processed');
    expect(item?.model.S).toBe(`us.${HAIKU_45}`);
    expect(Number(item?.inputTokens.N)).toBe(billed.inputTokens);
    expect(Number(item?.outputTokens.N)).toBe(billed.outputTokens);
    expect(Number(item?.costUsd.N)).toBeCloseTo(expectedCost, 12);
    expect(item?.summary.S?.length).toBeGreaterThan(0);
  });

  test('processes the EventBridge "Object Created" event the workflow wires', async () => {
    const version = await upload(TICKET);

    const { results } = await deliver(eventBridgeEvent(version), 'delivery-eb');

    expect(results).toEqual([expect.objectContaining({ key: KEY, versionId: version.versionId, status: 'processed' })]);
    expect(sim.calls).toHaveLength(1);
  });

  test('processes and charges a document once when the same event is delivered twice in a row', async () => {
    // Given a document already processed from its notification
    const version = await upload(TICKET);
    const e = s3Event(version);
    const first = await deliver(e, 'delivery-1');

    // When S3 delivers the same notification again
    const second = await deliver(e, 'delivery-2');

    // Then the second delivery is a duplicate: no model call, the first result stands
    expect(second.results).toEqual([{ key: KEY, versionId: version.versionId, status: 'duplicate' }]);
    expect(sim.calls).toHaveLength(1);
    const item = await resultItem(version.versionId);
    expect(item?.status.S).toBe('processed');
    expect(Number(item?.costUsd.N)).toBe(first.results[0].costUsd);
  });

  test('processes and charges a document once when the same event is delivered twice at the same time', async () => {
    const version = await upload(TICKET);
    const e = s3Event(version);

    // When two deliveries race
    const { result: outcomes } = await withEmf(() => Promise.all([handler(e, { awsRequestId: 'delivery-a' }), handler(e, { awsRequestId: 'delivery-b' })]));

    // Then exactly one processed it and the other reported a duplicate; one model call, one processed item
    expect(outcomes.map((o) => o.results[0].status).sort()).toEqual(['duplicate', 'processed']);
    expect(sim.calls).toHaveLength(1);
    const { Items } = await ddb.send(new QueryCommand({
      TableName: RESULTS_TABLE, KeyConditionExpression: 'objectKey = :k AND versionId = :v',
      ExpressionAttributeValues: { ':k': { S: KEY }, ':v': { S: version.versionId } }, ConsistentRead: true,
    }));
    expect(Items?.map((i) => i.status.S)).toEqual(['processed']);
  });

  test('records a document over 5 MiB as rejected with the reason, without reading it or calling the model', async () => {
    // Given a 5 MiB + 1 byte upload (the handler's default MAX_DOCUMENT_BYTES is 5,242,880)
    const version = await upload(Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));

    const { results } = await deliver(s3Event(version), 'delivery-big');

    expect(results[0]).toMatchObject({ status: 'rejected', reason: 'The document has 5242881 bytes; at most 5242880 are processed.' });
    expect(sim.calls).toEqual([]);
    const item = await resultItem(version.versionId);
    expect(item).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'DOCUMENT_TOO_LARGE' }, costUsd: { N: '0' } });
    expect(item?.reason.S).toContain('5242881 bytes');
  });

  test('records a document over the prompt limit as rejected with the numbers, without calling the model', async () => {
    // Given 200,000 characters of text: ceil(200,000 / 3.5) + 4 = 57,147 estimated tokens, plus ceil(75 / 3.5) = 22
    // for the handler's 75-character instructions: 57,169, over the 50,000 limit
    const version = await upload('a'.repeat(200_000));

    const { results } = await deliver(s3Event(version), 'delivery-long');

    expect(results[0].status).toBe('rejected');
    expect(results[0].reason).toContain('about 57169 tokens');
    expect(results[0].reason).toContain('at most 50000');
    expect(sim.calls).toEqual([]);
    expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'PROMPT_TOO_LARGE' }, costUsd: { N: '0' } });
  });

  test('gives the claim back and fails when the model stays throttled, so that Lambda\'s retry processes it', async () => {
    // Given a model throttled on every attempt
    const version = await upload(TICKET);
    const e = s3Event(version);
    sim.injectFaults('throttle', 10);

    // When the document is delivered, the invocation fails with the 429
    const failure = await deliver(e, 'delivery-1').then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(PipelineError);
    expect((failure as PipelineError).status).toBe(429);
    expect(await resultItem(version.versionId)).toBeUndefined();

    // And when Lambda retries once Bedrock has recovered, the document is processed
    sim.reset();
    const retry = await deliver(e, 'delivery-1');
    expect(retry.results[0].status).toBe('processed');
    expect(sim.calls).toHaveLength(1);
  });

  describe('a claim left by another invocation', () => {
    /** The item an invocation writes when it claims the version, `ageSeconds` ago. */
    async function claimedBefore(versionId: string, ageSeconds: number): Promise<void> {
      await ddb.send(new PutItemCommand({
        TableName: RESULTS_TABLE,
        Item: {
          objectKey: { S: KEY }, versionId: { S: versionId }, status: { S: 'processing' }, deliveryId: { S: 'crashed-delivery' },
          claimedAt: { N: String(Math.floor(Date.now() / 1000) - ageSeconds) },
        },
      }));
    }

    test('is respected while it is fresh: the delivery is a duplicate', async () => {
      // Given another invocation that claimed the version a minute ago and is still working
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60);

      const { results } = await deliver(s3Event(version), 'delivery-2');

      expect(results[0].status).toBe('duplicate');
      expect(sim.calls).toEqual([]);
    });

    test('is taken over once it is older than 15 minutes, the invocation that held it having died', async () => {
      // Given a claim from 16 minutes ago that was never completed
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 16 * 60);

      const { results } = await deliver(s3Event(version), 'delivery-2');

      expect(results[0].status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
      expect((await resultItem(version.versionId))?.deliveryId.S).toBe('delivery-2');
    });
  });

  test('does nothing for an event that announces no created object', async () => {
    const { results } = await deliver({ Records: [{ eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: BUCKET }, object: { key: 'x' } } }] }, 'delivery-x');

    expect(results).toEqual([]);
    expect(sim.calls).toEqual([]);
  });
});
