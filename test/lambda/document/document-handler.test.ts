import { DynamoDBClient, GetItemCommand, InternalServerError, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../../../lambda/pipeline/errors';
import { dynamoDbClient, resetClients } from '../../../lambda/shared/clients';
import { DocumentClaims, DocumentInProgressError } from '../../../lambda/document/document-claims';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { uploadedObjects } from '../../../lambda/document/s3-events';
import * as textRequest from '../../../lambda/shared/text-request';
import { BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { LocalDynamoDb, LocalS3, localClientConfig, localS3ClientConfig, startDynamoDbLocal, startLocalS3 } from '../../../packages/local/src/services';
import { usd } from '../pipeline/support';
import { captureLogs, createResultsTable, event, HAIKU_45, MODEL_ALIASES, pipelineConfigJson, setHandlerEnv, withEmf } from '../../support/handler-env';

// Prices per 1M tokens (lambda/core/model-catalog.ts): a short document routes to Claude Haiku 4.5 through a US
// profile, the global $1 in / $5 out plus the 10% regional premium = $1.10 / $5.50.

const RESULTS_TABLE = 'support-document-results';
const BUCKET = 'support-documents';
const UNVERSIONED_BUCKET = 'support-documents-unversioned';
// What the construct sets for its default 5-minute timeout: the timeout plus a minute.
const CLAIM_STALE_SECONDS = 360;
// The key of the recorded events: URL-encoded in the S3 notification, as stored in the EventBridge event.
const KEY = 'incoming/Ticket 4711 – refund?.txt';
const TICKET = 'Customer 4711 asks for a refund of order 9921: the blender arrived broken on 2026-11-20. '
  + 'They attached photos and want the money back to their card rather than store credit.';

type DocumentHandler = typeof import('../../../lambda/document/handler').handler;
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
  await s3Client.send(new CreateBucketCommand({ Bucket: UNVERSIONED_BUCKET }));
  restoreEnv = setHandlerEnv({ bedrock: sim.endpoint, dynamodb: dynamodb.endpoint, s3: s3.endpoint }, {
    RESULTS_TABLE,
    CLAIM_STALE_SECONDS: String(CLAIM_STALE_SECONDS),
    // The construct leaves the retry defaults; a 1 ms backoff keeps the throttling test fast.
    GENAI_PIPELINE_CONFIG: pipelineConfigJson({ retry: { baseDelayMs: 1, maxDelayMs: 1 } }),
  });
  resetContainer();
  // The handler reads RESULTS_TABLE when it is loaded, as Lambda loads it after setting the environment.
  ({ handler } = require('../../../lambda/document/handler') as { handler: DocumentHandler });
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
async function upload(body: string | Buffer, options: { key?: string; bucket?: string; contentType?: string } = {}): Promise<{ versionId: string; size: number }> {
  const put = await s3Client.send(new PutObjectCommand({
    Bucket: options.bucket ?? BUCKET, Key: options.key ?? KEY, Body: body, ContentType: options.contentType ?? 'text/plain',
  }));
  return { versionId: put.VersionId ?? 'null', size: Buffer.byteLength(body) };
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
  Object.assign(e.detail.object, { 'version-id': version.versionId, 'size': version.size });
  return e;
}

async function resultItem(versionId: string, key = KEY) {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: RESULTS_TABLE, Key: { objectKey: { S: key }, versionId: { S: versionId } }, ConsistentRead: true }));
  return Item;
}

/**
 * The item an invocation writes when it claims the version, `ageSeconds` ago; in phase `invoking` once it is about to
 * call the model.
 */
async function claimedBefore(versionId: string, ageSeconds: number, deliveryId = 'crashed-delivery', status: 'processing' | 'invoking' = 'processing'): Promise<void> {
  await ddb.send(new PutItemCommand({
    TableName: RESULTS_TABLE,
    Item: {
      objectKey: { S: KEY }, versionId: { S: versionId }, status: { S: status }, deliveryId: { S: deliveryId },
      claimedAt: { N: String(Math.floor(Date.now() / 1000) - ageSeconds) },
    },
  }));
}

let injected = 0;

/**
 * Makes the handler's own DynamoDB client (real, against DynamoDB Local) fail the commands `matches` picks, as an
 * overloaded table would, until the returned function is called. The failure is raised before the SDK's retry step,
 * so each matching send fails once, like a write whose SDK retries ran out.
 */
function failDynamoDb(matches: (commandName: string, input: Record<string, any>) => boolean): { failures: () => number; heal: () => void } {
  const client = dynamoDbClient();
  const name = `injected-failure-${++injected}`;
  let failures = 0;
  client.middlewareStack.add((next, context) => async (args) => {
    if (matches(context.commandName ?? '', args.input as Record<string, any>)) {
      failures++;
      throw new InternalServerError({ message: 'Internal server error (injected)', $metadata: { httpStatusCode: 500 } });
    }
    return next(args);
  }, { step: 'initialize', name });
  return { failures: () => failures, heal: () => client.middlewareStack.remove(name) };
}

const isResultWrite = (command: string, input: Record<string, any>) => command === 'UpdateItemCommand' && String(input.UpdateExpression).includes(':processed');
const isRejectionWrite = (command: string, input: Record<string, any>) => command === 'UpdateItemCommand' && String(input.UpdateExpression).includes(':rejected');
const isRelease = (command: string) => command === 'DeleteItemCommand';

/** Waits until `condition` holds, polling DynamoDB Local or whatever it reads. */
async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** What became of a delivery: its result's status, or 'in-progress' for the retryable DocumentInProgressError. */
function outcomeOf(settled: PromiseSettledResult<{ results: Array<{ status: string }> }>): string {
  if (settled.status === 'fulfilled') return settled.value.results[0].status;
  return settled.reason instanceof DocumentInProgressError ? 'in-progress' : `failed: ${String(settled.reason)}`;
}

const deliver = (e: unknown, requestId: string) => withEmf(() => handler(e, { awsRequestId: requestId })).then((r) => r.result);

/**
 * Delivers `e` while the DynamoDB calls `matches` picks fail with a 500, then heals the table: what the delivery threw
 * (undefined if it succeeded), and how many calls failed.
 */
async function deliverWhileFailing(e: unknown, deliveryId: string, matches: (commandName: string, input: Record<string, any>) => boolean): Promise<{ failure: unknown; failures: number }> {
  const table = failDynamoDb(matches);
  try {
    const failure = await deliver(e, deliveryId).then(() => undefined, (error: unknown) => error);
    return { failure, failures: table.failures() };
  } finally {
    table.heal();
  }
}

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

    // When two deliveries race, the model taking long enough for the second to arrive while the first works
    sim.setLatency(200);
    const finished: string[] = [];
    const delivery = (requestId: string) => Promise.allSettled([handler(e, { awsRequestId: requestId })])
      .then(([settled]) => finished.push(outcomeOf(settled)));
    try {
      await withEmf(() => Promise.all([delivery('delivery-a'), delivery('delivery-b')]));
    } finally {
      sim.setLatency(0);
    }

    // Then exactly one processed it. The other either failed for Lambda to retry (it came while the first held the
    // claim) or, having come after the first had finished, reported a duplicate; never a duplicate while the first
    // was still working, which would drop the document if the first then crashed. One model call, one processed item.
    expect([['in-progress', 'processed'], ['processed', 'in-progress'], ['processed', 'duplicate']]).toContainEqual(finished);
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
    // Given 60,000 words of text: at least 60,000 tokens (one per word), over the 50,000 limit
    const version = await upload('word '.repeat(60_000));

    const { results } = await deliver(s3Event(version), 'delivery-long');

    expect(results[0].status).toBe('rejected');
    expect(results[0].reason).toMatch(/at least 600\d\d tokens/);
    expect(results[0].reason).toContain('at most 50000');
    expect(sim.calls).toEqual([]);
    expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'PROMPT_TOO_LARGE' }, costUsd: { N: '0' } });
  });

  test('keeps the claim invoking after a connection reset that followed a billed model call: the retry does not call the model again', async () => {
    // Given a model that runs and bills the call, then drops the connection
    const version = await upload(TICKET);
    const e = s3Event(version);
    sim.injectFaults('connection-reset', 1);

    const failure = await deliver(e, 'delivery-1').then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ code: 'MODEL_CONNECTION_LOST' });

    // When Lambda retries, the document is recorded RESULT_NOT_SAVED instead of being bought again
    const retry = await deliver(e, 'delivery-1');
    expect(retry.results[0].status).toBe('failed');
    expect(sim.calls).toHaveLength(1);
    expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'failed' }, failureCode: { S: 'RESULT_NOT_SAVED' } });
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

  describe('a claim left by another invocation (stale after CLAIM_STALE_SECONDS, 360 here)', () => {
    test('is respected while it is fresh: the delivery fails with DocumentInProgressError, for Lambda to retry it later', async () => {
      // Given another invocation that claimed the version a minute ago and is still working
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60);

      const failure = await deliver(s3Event(version), 'delivery-2').then(() => undefined, (error: unknown) => error);

      expect(failure).toBeInstanceOf(DocumentInProgressError);
      expect((failure as Error).message).toMatch(/^Another delivery is processing s3 object 'incoming\/Ticket 4711 – refund\?\.txt' \(version /);
      expect(sim.calls).toEqual([]);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'processing' }, deliveryId: { S: 'crashed-delivery' } });
    });

    test('does not lose the document to a duplicate event while it is fresh: that delivery fails again and again, a redrive after it processes', async () => {
      // Given an invocation that claimed the version and crashed (timed out), and a duplicate S3 event of the version
      // (another request id) whose Lambda retries come 1 and 3 minutes later
      const version = await upload(TICKET);
      const e = s3Event(version);
      await claimedBefore(version.versionId, 60);
      await expect(deliver(e, 'duplicate-event')).rejects.toBeInstanceOf(DocumentInProgressError);
      await claimedBefore(version.versionId, 180);
      await expect(deliver(e, 'duplicate-event')).rejects.toBeInstanceOf(DocumentInProgressError);

      // When a delivery comes after the claim went stale (a redrive from the dead-letter queue, or a slower retry)
      await claimedBefore(version.versionId, CLAIM_STALE_SECONDS + 1);
      const { results } = await deliver(e, 'delivery-redrive');

      // Then it processes the document, once
      expect(results[0].status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'processed' }, deliveryId: { S: 'delivery-redrive' } });
    });

    test('is taken over once it is older than CLAIM_STALE_SECONDS, the invocation that held it having died', async () => {
      // Given a claim from 6 minutes and 1 second ago (the 5-minute timeout plus a minute, passed) never completed
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, CLAIM_STALE_SECONDS + 1);

      const { results } = await deliver(s3Event(version), 'delivery-2');

      expect(results[0].status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
      expect((await resultItem(version.versionId))?.deliveryId.S).toBe('delivery-2');
    });

    test('is stale after 960 seconds when CLAIM_STALE_SECONDS is not set (Lambda\'s longest timeout plus a minute)', async () => {
      const claims = new DocumentClaims(ddb, RESULTS_TABLE);
      const object = { bucket: BUCKET, key: KEY, versionId: 'default-stale-window', size: 1 };

      await claimedBefore(object.versionId, 959);
      expect(await claims.claim(object, 'delivery-2')).toEqual({ outcome: 'in-progress' });
      await claimedBefore(object.versionId, 961);
      expect(await claims.claim(object, 'delivery-2')).toEqual({ outcome: 'claimed' });
    });

    test('once taken over, keeps the new owner\'s item: the slow invocation\'s result is not written over it', async () => {
      const version = await upload(TICKET);
      // Long enough for the takeover below to land while the model call waits, on a loaded machine too.
      sim.setLatency(3_000);
      let slow: { results: Array<{ status: string }> };
      try {
        ({ result: slow } = await withEmf(async () => {
          // Given a delivery working on the document (its model call takes three seconds)
          const delivery = handler(s3Event(version), { awsRequestId: 'slow-delivery' });
          await until(async () => (await resultItem(version.versionId))?.status?.S === 'invoking');
          // While it waits for the model, its claim is taken over by a delivery that is still working
          await claimedBefore(version.versionId, 0, 'delivery-2');
          return delivery;
        }));
      } finally {
        sim.setLatency(0);
      }

      // Then the slow invocation finishes (the model did answer and bill it) without recording its result
      expect(slow.results[0].status).toBe('processed');
      const item = await resultItem(version.versionId);
      expect(item).toMatchObject({ status: { S: 'processing' }, deliveryId: { S: 'delivery-2' } });
      expect(item?.summary).toBeUndefined();
      expect(logs.lines()).toContainEqual(expect.objectContaining({
        level: 'WARN', message: 'claim taken over by another delivery; this delivery\'s result is not recorded', deliveryId: 'slow-delivery',
      }));
    });

    test('once taken over, is neither rejected nor released by the invocation that lost it', async () => {
      const claims = new DocumentClaims(ddb, RESULTS_TABLE, CLAIM_STALE_SECONDS);
      const object = { bucket: BUCKET, key: KEY, versionId: 'taken-over', size: 1 };
      await claimedBefore(object.versionId, 0, 'delivery-2');

      await claims.reject(object, 'slow-delivery', 'PROMPT_TOO_LARGE', 'too long');
      await claims.release(object, 'slow-delivery');

      const item = await resultItem(object.versionId);
      expect(item).toMatchObject({ status: { S: 'processing' }, deliveryId: { S: 'delivery-2' } });
      expect(item?.rejectionCode).toBeUndefined();
    });
  });

  describe('Lambda\'s retries of one invocation, which carry its request id', () => {
    test('re-take the claim a crashed attempt left processing, and process the document once', async () => {
      // Given an attempt of delivery-1 that claimed the version a minute ago and crashed before the model call
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60, 'delivery-1');

      // When Lambda retries it (same request id), well inside the stale window
      const { results } = await deliver(s3Event(version), 'delivery-1');

      // Then the retry processes the document instead of failing as in progress until the DLQ
      expect(results[0].status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'processed' }, deliveryId: { S: 'delivery-1' } });
    });

    test('never call the model again after an attempt that died during the model call: the item is recorded RESULT_NOT_SAVED', async () => {
      // Given an attempt of delivery-1 that marked its claim invoking and died (timed out waiting for the model)
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60, 'delivery-1', 'invoking');

      const { results } = await deliver(s3Event(version), 'delivery-1');

      // Then no model call: the item is failed, the reason naming the request id whose logs hold any answer
      expect(sim.calls).toEqual([]);
      expect(results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('An earlier attempt (request id delivery-1) started the model call') });
      expect(results[0].reason).toContain('in the function\'s logs under request id delivery-1');
      expect(results[0].reason).toContain('Upload the object again (a new version) to process it again.');
      const item = await resultItem(version.versionId);
      expect(item).toMatchObject({
        status: { S: 'failed' }, failureCode: { S: 'RESULT_NOT_SAVED' }, deliveryId: { S: 'delivery-1' }, recordedBy: { S: 'delivery-1' },
      });
      expect(item?.costUsd).toBeUndefined();
    });

    test('treat a failed item as done: a later delivery of the version is a duplicate', async () => {
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60, 'delivery-1', 'invoking');
      await deliver(s3Event(version), 'delivery-1');

      const { results } = await deliver(s3Event(version), 'delivery-2');

      expect(results[0].status).toBe('duplicate');
      expect(sim.calls).toEqual([]);
    });

    test('retry a failed result write in-process: the document is saved and charged once', async () => {
      // Given a results table that fails the first two result writes
      const version = await upload(TICKET);
      const table = failDynamoDb((command, input) => isResultWrite(command, input) && table.failures() < 2);

      let results: Array<{ status: string; costUsd?: number }>;
      try {
        ({ results } = await deliver(s3Event(version), 'delivery-1'));
      } finally {
        table.heal();
      }

      // Then the third write saves the result of the one model call
      expect(table.failures()).toBe(2);
      expect(results[0].status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
      const item = await resultItem(version.versionId);
      expect(item).toMatchObject({ status: { S: 'processed' }, deliveryId: { S: 'delivery-1' } });
      expect(Number(item?.costUsd.N)).toBe(results[0].costUsd);
      expect(logs.lines().filter((line) => line.message === 'document result write failed; retrying')).toHaveLength(2);
    });

    test('when the result write keeps failing, log the whole result, fail with the claim kept, and save it on the retry without a second model call', async () => {
      // Given a results table that fails every result write for a while
      const version = await upload(TICKET);
      const e = s3Event(version);
      const { failure, failures } = await deliverWhileFailing(e, 'delivery-1', isResultWrite);

      // Then the invocation fails after the first write and three retries, with the claim left invoking, not given back
      expect(failure).toBeInstanceOf(InternalServerError);
      expect(failures).toBe(4);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'invoking' }, deliveryId: { S: 'delivery-1' } });
      // And what was bought is in the log at error level
      const lost = logs.lines().find((line) => line.message === 'document result not saved; the model call was billed, its result follows');
      expect(lost).toMatchObject({
        level: 'ERROR', deliveryId: 'delivery-1', requestId: `delivery-1:${KEY}`, answer: expect.any(String),
        usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) }, costUsd: expect.any(Number),
      });
      expect(lost?.answer.length).toBeGreaterThan(0);

      // When Lambda retries (same request id, here in the same warm container) once the table has recovered
      const retry = await deliver(e, 'delivery-1');

      // Then the retry saves the first attempt's result: one model call, charged once
      expect(retry.results[0]).toMatchObject({ status: 'processed', costUsd: lost?.costUsd });
      expect(sim.calls).toHaveLength(1);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'processed' }, summary: { S: lost?.answer } });
    });

    test('when the result write keeps failing and the retry runs in a new container, record RESULT_NOT_SAVED without a second model call', async () => {
      const version = await upload(TICKET);
      const e = s3Event(version);
      expect((await deliverWhileFailing(e, 'delivery-1', isResultWrite)).failure).toBeInstanceOf(InternalServerError);

      // When the retry runs in a fresh container (modules loaded anew: nothing kept from the first attempt)
      let coldHandler!: DocumentHandler;
      let coldReset!: () => void;
      jest.isolateModules(() => {
        ({ handler: coldHandler } = require('../../../lambda/document/handler') as { handler: DocumentHandler });
        ({ resetClients: coldReset } = require('../../../lambda/shared/clients') as { resetClients: () => void });
      });
      let results: Array<{ status: string; reason?: string }>;
      try {
        ({ result: { results } } = await withEmf(() => coldHandler(e, { awsRequestId: 'delivery-1' })));
      } finally {
        coldReset();
      }

      expect(results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('request id delivery-1') });
      expect(sim.calls).toHaveLength(1);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'failed' }, failureCode: { S: 'RESULT_NOT_SAVED' } });
    });

    test('keep the claim invoking after a pipeline error that may follow a billed call, so that the retry does not call the model again', async () => {
      // Given a pipeline that calls the model and then fails with an error that is not a PipelineError
      const version = await upload(TICKET);
      const e = s3Event(version);
      const realRun = textRequest.runTextRequest;
      const run = jest.spyOn(textRequest, 'runTextRequest').mockImplementationOnce(async (...args) => {
        await realRun(...args);
        throw new Error('recorder failed after the call');
      });

      try {
        await expect(deliver(e, 'delivery-1')).rejects.toThrow('recorder failed after the call');
      } finally {
        run.mockRestore();
      }
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'invoking' } });

      // When Lambda retries
      const retry = await deliver(e, 'delivery-1');

      // Then the model was called once; the item says why it was not processed
      expect(retry.results[0].status).toBe('failed');
      expect(sim.calls).toHaveLength(1);
    });
  });

  describe('a claim another delivery left invoking', () => {
    test('is recorded RESULT_NOT_SAVED once stale, naming that delivery\'s request id, without calling the model', async () => {
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, CLAIM_STALE_SECONDS + 1, 'crashed-delivery', 'invoking');

      const { results } = await deliver(s3Event(version), 'delivery-2');

      expect(results[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('request id crashed-delivery') });
      expect(sim.calls).toEqual([]);
      expect(await resultItem(version.versionId)).toMatchObject({
        status: { S: 'failed' }, failureCode: { S: 'RESULT_NOT_SAVED' }, deliveryId: { S: 'crashed-delivery' }, recordedBy: { S: 'delivery-2' },
      });
    });

    test('is respected while it is fresh: the delivery fails with DocumentInProgressError', async () => {
      const version = await upload(TICKET);
      await claimedBefore(version.versionId, 60, 'delivery-1', 'invoking');

      await expect(deliver(s3Event(version), 'delivery-2')).rejects.toBeInstanceOf(DocumentInProgressError);

      expect(sim.calls).toEqual([]);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'invoking' }, deliveryId: { S: 'delivery-1' } });
    });
  });

  describe('a rejection that cannot be recorded', () => {
    const oversize = () => upload(Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));

    test('gives the claim back and fails, so that Lambda\'s retry records the rejection', async () => {
      const version = await oversize();
      const e = s3Event(version);
      expect((await deliverWhileFailing(e, 'delivery-1', isRejectionWrite)).failure).toBeInstanceOf(InternalServerError);
      expect(await resultItem(version.versionId)).toBeUndefined();

      const retry = await deliver(e, 'delivery-1');

      expect(retry.results[0]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('5242881 bytes') });
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'DOCUMENT_TOO_LARGE' } });
      expect(sim.calls).toEqual([]);
    });

    test('fails with the rejection\'s error even when giving the claim back fails too, and the retry re-takes its claim', async () => {
      const version = await oversize();
      const e = s3Event(version);
      const { failure, failures } = await deliverWhileFailing(e, 'delivery-1', (command, input) => isRejectionWrite(command, input) || isRelease(command));

      expect(failure).toBeInstanceOf(InternalServerError);
      expect(failures).toBe(2);
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'processing' }, deliveryId: { S: 'delivery-1' } });

      const retry = await deliver(e, 'delivery-1');

      expect(retry.results[0].status).toBe('rejected');
      expect(await resultItem(version.versionId)).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'DOCUMENT_TOO_LARGE' } });
    });
  });

  describe('an unversioned bucket, where every version id is "null"', () => {
    const UNVERSIONED_KEY = 'incoming/ticket-4712.txt';

    /** The EventBridge event of an upload to the unversioned bucket: no version id, only S3's sequencer tells uploads apart. */
    function unversionedEvent(size: number, sequencer: string): unknown {
      const e = event('eventbridge-object-created');
      e.detail.bucket.name = UNVERSIONED_BUCKET;
      delete e.detail.object['version-id'];
      Object.assign(e.detail.object, { key: UNVERSIONED_KEY, size, sequencer });
      return e;
    }

    test('carries S3\'s sequencer from both event shapes', () => {
      expect(uploadedObjects(event('eventbridge-object-created'))[0].sequencer).toBe('617f08299329d189');
      expect(uploadedObjects(event('s3-object-created'))[0].sequencer).toBe('0A1B2C3D4E5F678901');
    });

    test('processes each upload of a key once, and a re-upload of the key again', async () => {
      // Given a document uploaded and processed, then its event delivered again
      const first = await upload(TICKET, { bucket: UNVERSIONED_BUCKET, key: UNVERSIONED_KEY });
      expect(first.versionId).toBe('null');
      const firstRun = await deliver(unversionedEvent(first.size, '0062E99A88DC407460'), 'delivery-1');
      const repeated = await deliver(unversionedEvent(first.size, '0062E99A88DC407460'), 'delivery-2');

      // When the same key is uploaded again
      const second = await upload(`${TICKET} Update: the customer also wants the delivery fee back.`, { bucket: UNVERSIONED_BUCKET, key: UNVERSIONED_KEY });
      const secondRun = await deliver(unversionedEvent(second.size, '0062E99A88DC407491'), 'delivery-3');

      // Then the first upload was processed once, and the re-upload processed again, each with an item of its own
      expect([firstRun, repeated, secondRun].map((r) => r.results[0].status)).toEqual(['processed', 'duplicate', 'processed']);
      expect(sim.calls).toHaveLength(2);
      expect(await resultItem('null:0062E99A88DC407460', UNVERSIONED_KEY)).toMatchObject({ status: { S: 'processed' }, deliveryId: { S: 'delivery-1' } });
      expect(await resultItem('null:0062E99A88DC407491', UNVERSIONED_KEY)).toMatchObject({ status: { S: 'processed' }, deliveryId: { S: 'delivery-3' } });
    });
  });

  describe('content that is not text', () => {
    /** Delivers one upload and returns its result and item. */
    async function deliverUpload(body: string | Buffer, contentType: string, requestId: string) {
      const version = await upload(body, { contentType });
      const { results } = await deliver(s3Event(version), requestId);
      return { result: results[0], item: await resultItem(version.versionId) };
    }

    test('records a binary upload (a NUL byte in its first 8 KB) as rejected UNSUPPORTED_CONTENT, without calling the model', async () => {
      // Given a PNG uploaded as application/octet-stream: its header has NUL bytes
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from('IHDR'), Buffer.alloc(64, 0x41)]);

      const { result, item } = await deliverUpload(png, 'application/octet-stream', 'delivery-png');

      expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('NUL byte in its first 8192 bytes') });
      expect(sim.calls).toEqual([]);
      expect(item).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'UNSUPPORTED_CONTENT' }, costUsd: { N: '0' } });
    });

    test('records text that is not UTF-8 (over 1% of it undecodable) as rejected UNSUPPORTED_CONTENT, without calling the model', async () => {
      // Given Latin-1 text: every 'é' is a byte that is not UTF-8, 40 of 2,040 characters (about 2%)
      const latin1 = Buffer.from('Le client réclame le remboursement de sa commande. '.repeat(40), 'latin1');

      const { result, item } = await deliverUpload(latin1, 'text/plain', 'delivery-latin1');

      expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('40 of the document\'s 2040 characters are not valid UTF-8') });
      expect(sim.calls).toEqual([]);
      expect(item).toMatchObject({ status: { S: 'rejected' }, rejectionCode: { S: 'UNSUPPORTED_CONTENT' }, costUsd: { N: '0' } });
    });

    test('honours a binary content type (application/pdf) even when the bytes look like text', async () => {
      const pdf = '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n';

      const { result, item } = await deliverUpload(pdf, 'application/pdf', 'delivery-pdf');

      expect(result).toMatchObject({ status: 'rejected', reason: 'The document\'s content type is application/pdf; only text documents are processed.' });
      expect(sim.calls).toEqual([]);
      expect(item).toMatchObject({ rejectionCode: { S: 'UNSUPPORTED_CONTENT' }, costUsd: { N: '0' } });
    });

    test('processes UTF-8 text with one stray undecodable byte (under 1%)', async () => {
      const { result } = await deliverUpload(Buffer.concat([Buffer.from(TICKET), Buffer.from([0xff])]), 'text/plain; charset=utf-8', 'delivery-stray');

      expect(result.status).toBe('processed');
      expect(sim.calls).toHaveLength(1);
    });
  });

  test('does nothing for an event that announces no created object', async () => {
    const { results } = await deliver({ Records: [{ eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: BUCKET }, object: { key: 'x' } } }] }, 'delivery-x');

    expect(results).toEqual([]);
    expect(sim.calls).toEqual([]);
  });
});
