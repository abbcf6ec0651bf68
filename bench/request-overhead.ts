import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startBedrockSimulator } from '../packages/local/src/bedrock-simulator';
import { localClientConfig, startDynamoDbLocal } from '../packages/local/src/services';
import { createLedgerTable } from '../packages/local/src/services/ledger-table';
import { requestBody } from './cpu-stages';
import { percentile, round } from './stats';

type Timer = { sends: number; ms: number; inFlight?: number; rounds?: number };

// `rounds` counts sequential round trips: a send that starts while another is in flight rides in the same round.
function timeSends(client: { middlewareStack: any }, timer: Timer): void {
  client.middlewareStack.add((next: any) => async (args: any) => {
    const start = performance.now();
    if ((timer.inFlight ?? 0) === 0) timer.rounds = (timer.rounds ?? 0) + 1;
    timer.inFlight = (timer.inFlight ?? 0) + 1;
    try {
      return await next(args);
    } finally {
      timer.inFlight--;
      timer.sends++;
      timer.ms += performance.now() - start;
    }
  }, { step: 'initialize', name: 'benchTimer' });
}

/**
 * Pipeline overhead per request through the real API handler (sources) with the real SDK clients on loopback:
 * DynamoDB Local and the Bedrock simulator (no simulated latency). Overhead = handler time minus the Bedrock call's
 * own round trip, on the cache-miss path (new message each time) and the cache-hit path (a repeated request).
 */
export async function measureRequestOverhead(requests = 300, store: 'container' | 'dynamodb' = 'container') {
  const simulator = await startBedrockSimulator();
  // Fully compiling JVM: the figure is about the runtime, not about DynamoDB Local running in C1-only start-up mode.
  const dynamo = await startDynamoDbLocal({ steadyState: true });
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  try {
    const admin = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    await admin.send(new CreateTableCommand({
      TableName: 'bench-cache', BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
    }));
    if (store === 'dynamodb') await createLedgerTable(admin, 'bench-ledger');
    admin.destroy();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      GENAI_BEDROCK_ENDPOINT: simulator.endpoint, GENAI_DYNAMODB_ENDPOINT: dynamo.endpoint,
      GENAI_TAGS: JSON.stringify({ Application: 'bench', Feature: 'chat', Environment: 'development' }),
      GENAI_PIPELINE_CONFIG: JSON.stringify({
        tiers: {
          simple: { invokeId: 'anthropic.claude-haiku-4-5-20251001-v1:0', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' },
          medium: { invokeId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
        },
        defaultLimits: { maxInputTokens: 50000, maxOutputTokens: 512 },
        responseCache: { tableName: 'bench-cache', ttlSeconds: 3600, namespace: 'v1' },
        // The guard chain is on, with limits the bench never reaches: admit, reserve and settle run on every request.
        guards: {
          store,
          ...(store === 'dynamodb' ? { ledgerTableName: 'bench-ledger' } : {}),
          usageLimits: [
            { scope: 'user', window: 'minute', maxRequests: 1_000_000 },
            { scope: 'tenant', window: 'month', maxTokens: 10_000_000_000, maxCostUsd: 1_000_000 },
            { scope: 'feature', window: 'day', maxCostUsd: 1_000_000 },
          ],
        },
      }),
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../lambda/api/handler') as typeof import('../lambda/api/handler');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const clients = require('../lambda/shared/clients') as typeof import('../lambda/shared/clients');
    // A second series in the same process composes a new container against this run's endpoints.
    clients.resetClients();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../lambda/composition/pipeline-runtime') as typeof import('../lambda/composition/pipeline-runtime')).resetContainer();
    const bedrockTimer: Timer = { sends: 0, ms: 0 };
    const dynamoTimer: Timer = { sends: 0, ms: 0 };
    timeSends(clients.bedrockClient(), bedrockTimer);
    timeSends(clients.dynamoDbClient(), dynamoTimer);

    const base = requestBody(2000);
    const event = (message: string) => ({ body: JSON.stringify({ ...base, message }), requestContext: { requestId: message, identity: { user: 'AROABENCH:bench-backend' } }, path: '/invoke' }) as any;
    // EMF lines go to stdout in Lambda; here they are produced (that cost is part of the overhead) and dropped.
    process.stdout.write = (() => true) as any;
    const run = async (message: string) => {
      bedrockTimer.ms = 0; bedrockTimer.sends = 0; dynamoTimer.sends = 0; dynamoTimer.ms = 0; dynamoTimer.rounds = 0;
      const start = performance.now();
      const response = await handler(event(message));
      const total = performance.now() - start;
      if (response.statusCode !== 200) throw new Error(`bench request failed: ${response.body}`);
      return { overhead: total - bedrockTimer.ms, dynamoSends: dynamoTimer.sends, dynamoRounds: dynamoTimer.rounds ?? 0, dynamoMs: dynamoTimer.ms, bedrockSends: bedrockTimer.sends };
    };
    for (let i = 0; i < 300; i++) await run(`warm-up question ${i}?`);
    const miss: Array<Awaited<ReturnType<typeof run>>> = [];
    const hit: Array<Awaited<ReturnType<typeof run>>> = [];
    for (let i = 0; i < requests; i++) miss.push(await run(`What is the status of order ${i}?`));
    for (let i = 0; i < requests; i++) hit.push(await run(`What is the status of order ${i}?`));
    process.stdout.write = stdoutWrite;
    const summary = (samples: typeof miss) => ({
      overheadMsP50: round(percentile(samples.map((s) => s.overhead), 50)),
      overheadMsP99: round(percentile(samples.map((s) => s.overhead), 99)),
      dynamoDbRoundTripsPerRequest: round(samples.reduce((a, s) => a + s.dynamoSends, 0) / samples.length, 2),
      sequentialDynamoDbRoundsPerRequest: round(samples.reduce((a, s) => a + s.dynamoRounds, 0) / samples.length, 2),
      dynamoDbMsP50: round(percentile(samples.map((s) => s.dynamoMs), 50)),
      bedrockCallsPerRequest: round(samples.reduce((a, s) => a + s.bedrockSends, 0) / samples.length, 2),
    });
    const guardChain = `${store === 'dynamodb' ? 'usage ledger (DynamoDB, speculative reservation beside the cache read)' : 'container'} usage limits: user/minute requests, tenant/month tokens and USD, feature/day USD`;
    return { requests, store, guardChain, cacheMiss: summary(miss), cacheHit: summary(hit) };
  } finally {
    process.stdout.write = stdoutWrite;
    await simulator.close();
    await dynamo.stop();
  }
}
