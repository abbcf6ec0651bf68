import { createServer, Server, Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BreakerConfig } from '../../../../shared/contract';
import { DynamoDbBreakerStore } from '../../../../lambda/breaker/state-store';
import { BreakerStateItem, BreakerStateReader } from '../../../../lambda/breaker/state';
import { BreakerGuard } from '../../../../lambda/pipeline/guards';
import { GenAiPipeline } from '../../../../lambda/pipeline/pipeline';
import { MemoryRecorder } from '../../../../lambda/pipeline/stages/record-request';
import { pipelineErrorOf, useBedrockSimulator, testConfig, testRequest } from '../support';

const NOV_27 = Date.UTC(2026, 10, 27, 14, 0, 0);
const REASONING = 'Think through step by step why our invoices doubled.';

/** A table in memory that counts its reads, or fails every read. */
class FakeReader implements BreakerStateReader {
  reads = 0;
  failing = false;
  readonly items = new Map<string, BreakerStateItem>();

  open(feature: string, period = '2026-11', source = 'budget:genai-monthly-total'): void {
    this.items.set(feature, { feature, status: 'open', sources: [source], source, period, openedAt: '2026-11-27T13:00:00.000Z', reason: `AWS Budgets: ${source} is over its threshold` });
  }

  async read(_application: string, features: ReadonlyArray<string>): Promise<Map<string, BreakerStateItem | undefined>> {
    this.reads++;
    if (this.failing) throw new Error('ResourceNotFoundException: table not found');
    return new Map(features.map((f) => [f, this.items.get(f)]));
  }
}

function breakerConfig(overrides: Partial<BreakerConfig> = {}): BreakerConfig {
  return { tableName: 'breaker', cacheTtlSeconds: 30, features: {}, ...overrides };
}

function context(feature = 'chat', nowMs = NOV_27) {
  return { requestId: 'r1', tenantId: 't', userId: 'u', feature, path: 'converse' as const, nowMs };
}

describe('BreakerGuard', () => {
  test('pauses a non-critical feature whose breaker is open with a 503 saying why and when it resets', async () => {
    // Given the chat feature's breaker opened by the monthly budget in November
    const reader = new FakeReader();
    reader.open('chat');
    const guard = new BreakerGuard(breakerConfig(), 'support', reader, { now: () => NOV_27 });

    // When a chat request is admitted
    const error = await pipelineErrorOf(() => guard.admit(context()));

    // Then it is refused with FEATURE_PAUSED, naming the source, the reason and the end of the period
    expect(error.status).toBe(503);
    expect(error.code).toBe('FEATURE_PAUSED');
    expect(error.message).toMatch(/Feature 'chat' is paused: the breaker of feature 'chat' is open since 2026-11-27T13:00:00.000Z \(AWS Budgets: .*\); it resets at 2026-12-01T00:00:00.000Z/);
    expect(error.details).toMatchObject({ feature: 'chat', breaker: 'chat', source: 'budget:genai-monthly-total', period: '2026-11', resetsAt: '2026-12-01T00:00:00.000Z', retryAfterSeconds: 30 });
  });

  test('the global breaker pauses every non-critical feature of the application', async () => {
    const reader = new FakeReader();
    reader.open('*');
    const guard = new BreakerGuard(breakerConfig(), 'support', reader, { now: () => NOV_27 });

    const error = await pipelineErrorOf(() => guard.admit(context('search')));

    expect(error.code).toBe('FEATURE_PAUSED');
    expect(error.details.breaker).toBe('*');
    expect(error.message).toContain("the support application's global breaker is open");
  });

  test('a critical feature passes without reading the table', async () => {
    const reader = new FakeReader();
    reader.open('*');
    const guard = new BreakerGuard(breakerConfig({ defaultFeature: { critical: true, whenTripped: 'pause' } }), 'support', reader, { now: () => NOV_27 });

    await expect(guard.admit(context())).resolves.toBeUndefined();
    expect(reader.reads).toBe(0);
  });

  test('a downgraded feature is admitted with a tier cap (simple unless downgradeTo says otherwise)', async () => {
    const reader = new FakeReader();
    reader.open('chat');
    reader.open('search');
    const guard = new BreakerGuard(breakerConfig({
      defaultFeature: { critical: false, whenTripped: 'downgrade' },
      features: { search: { critical: false, whenTripped: 'downgrade', downgradeTo: 'medium' } },
    }), 'support', reader, { now: () => NOV_27 });

    await expect(guard.admit(context('chat'))).resolves.toMatchObject({ maxTier: 'simple', reason: expect.stringContaining('downgraded') });
    await expect(guard.admit(context('search'))).resolves.toMatchObject({ maxTier: 'medium' });
  });

  test('a state opened in an earlier period reads as closed: the breaker resets when the period changes', async () => {
    // Given a breaker opened by an October budget
    const reader = new FakeReader();
    reader.open('chat', '2026-10');
    const guard = new BreakerGuard(breakerConfig(), 'support', reader, { now: () => NOV_27 });

    // Then November's requests pass, with no job having closed it
    await expect(guard.admit(context())).resolves.toBeUndefined();
  });

  test('a cached open state lapses at the end of its period without waiting for the TTL', async () => {
    let now = Date.UTC(2026, 10, 30, 23, 59, 50);
    const reader = new FakeReader();
    reader.open('chat', '2026-11');
    const guard = new BreakerGuard(breakerConfig({ cacheTtlSeconds: 3600 }), 'support', reader, { now: () => now });
    await expect(guard.admit(context('chat', now))).rejects.toMatchObject({ code: 'FEATURE_PAUSED' });

    now = Date.UTC(2026, 11, 1, 0, 0, 5);
    await expect(guard.admit(context('chat', now))).resolves.toBeUndefined();
    expect(reader.reads).toBe(1);
  });

  test('reads the table once per cache TTL, and concurrent requests on a cold cache share one read', async () => {
    let now = NOV_27;
    const reader = new FakeReader();
    const guard = new BreakerGuard(breakerConfig({ cacheTtlSeconds: 30 }), 'support', reader, { now: () => now });

    await Promise.all([guard.admit(context()), guard.admit(context()), guard.admit(context())]);
    expect(reader.reads).toBe(1);
    now += 29_000;
    await guard.admit(context());
    expect(reader.reads).toBe(1);

    // A trip is seen once the TTL has passed
    reader.open('chat');
    now += 2_000;
    await expect(guard.admit(context())).rejects.toMatchObject({ code: 'FEATURE_PAUSED' });
    expect(reader.reads).toBe(2);
  });

  test('fails open when the table cannot be read: the request passes, with a warning and a BreakerUnavailable count', async () => {
    const reader = new FakeReader();
    reader.failing = true;
    const warnings: string[] = [];
    const unavailable: string[] = [];
    const guard = new BreakerGuard(breakerConfig(), 'support', reader, {
      now: () => NOV_27, warn: (m) => warnings.push(m), onUnavailable: (f) => unavailable.push(f),
    });

    await expect(guard.admit(context())).resolves.toBeUndefined();
    expect(warnings).toEqual(['circuit breaker state unreadable; failing open (the request passes)']);
    expect(unavailable).toEqual(['chat']);
  });

  describe('a table that accepts the connection and never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    let endpoint = '';
    beforeAll(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    });

    test('the read is abandoned after readTimeoutMs and the request passes (fail open), counted as BreakerUnavailable', async () => {
      // Given the real store and SDK client on a DynamoDB endpoint that never answers
      const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
      const warnings: Array<Record<string, unknown>> = [];
      const unavailable: string[] = [];
      const guard = new BreakerGuard(breakerConfig({ readTimeoutMs: 200 }), 'support', new DynamoDbBreakerStore(client, 'breaker'), {
        now: () => NOV_27, warn: (_m, fields) => warnings.push(fields), onUnavailable: (f) => unavailable.push(f),
      });

      // When a request is admitted, Then it passes, and the fail-open is reported with its cause
      await expect(guard.admit(context())).resolves.toBeUndefined();
      expect(unavailable).toEqual(['chat']);
      expect(String(warnings[0].error)).toMatch(/200 ms/);
      client.destroy();
    }, 20_000);
  });
});

describe('a downgraded feature in the pipeline', () => {
  const simulator = useBedrockSimulator();
  beforeEach(() => simulator.sim.reset());

  function pipelineWith(reader: FakeReader, features: BreakerConfig['features']): GenAiPipeline {
    const config = testConfig();
    return new GenAiPipeline(config, {
      bedrock: simulator.client, recorder: new MemoryRecorder(),
      guards: [new BreakerGuard(breakerConfig({ features }), config.application, reader, { now: () => NOV_27 })],
      now: () => NOV_27,
    });
  }

  test('a reasoning request of a tripped, downgraded feature is routed no higher than the cap', async () => {
    // Given the chat feature tripped and set to downgrade to the simple tier
    const reader = new FakeReader();
    reader.open('chat');
    const pipeline = pipelineWith(reader, { chat: { critical: false, whenTripped: 'downgrade', downgradeTo: 'simple' } });

    // When a request that routes to the complex tier runs
    const result = await pipeline.run(testRequest({ message: REASONING }));

    // Then it is answered by the simple tier, and the route says why
    expect(result.model.tier).toBe('simple');
    expect(result.model.reasons.join(' ')).toMatch(/capped at simple \(downgraded: the breaker of feature 'chat' is open/);
  });

  test('a critical feature keeps its routed tier while the breaker is open', async () => {
    const reader = new FakeReader();
    reader.open('*');
    const pipeline = pipelineWith(reader, { chat: { critical: true, whenTripped: 'downgrade' } });

    const result = await pipeline.run(testRequest({ message: REASONING }));

    expect(result.model.tier).toBe('complex');
  });

  test('a paused feature is refused before any model call', async () => {
    const reader = new FakeReader();
    reader.open('chat');
    const pipeline = pipelineWith(reader, { chat: { critical: false, whenTripped: 'pause' } });

    const error = await pipelineErrorOf(() => pipeline.run(testRequest({ message: REASONING })));

    expect(error.code).toBe('FEATURE_PAUSED');
    expect(simulator.sim.calls).toHaveLength(0);
  });
});
