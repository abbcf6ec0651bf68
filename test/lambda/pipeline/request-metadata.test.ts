import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EmbeddingCache } from '../../../lambda/pipeline/embedding-cache';
import { GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { metadataValue, REQUEST_METADATA_VALUE, requestMetadataFor } from '../../../lambda/pipeline/request-metadata';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { testConfig, useBedrockSimulator } from './support';

const NOVA_PRO = 'amazon.nova-pro-v1:0';
const TITAN = 'amazon.titan-embed-text-v2:0';
const simulator = useBedrockSimulator();
beforeEach(() => simulator.sim.reset());

function pipeline(application = 'support-bot'): GenAiPipeline {
  const config = testConfig({ tiers: { simple: { invokeId: NOVA_PRO, modelId: NOVA_PRO } }, application });
  return new GenAiPipeline(config, { bedrock: simulator.client, recorder: new MemoryRecorder(), now: () => Date.UTC(2026, 11, 1), sleep: async () => undefined, random: () => 0.5 });
}

describe('requestMetadata on Converse', () => {
  test('every Converse call carries the tenant, feature, application and request id to Bedrock', async () => {
    // Given a request of tenant customer-123
    const body = { message: 'Summarize the attached contract clause.', tenantId: 'customer-123', userId: 'user-42' };

    // When it runs through the pipeline against the simulator (which checks requestMetadata as Bedrock does)
    await pipeline().handle(body, { requestId: 'req-meta' });

    // Then the call Bedrock received carries the attribution
    const converse = simulator.sim.calls.filter((c) => c.operation === 'Converse');
    expect(converse).toHaveLength(1);
    expect(converse[0].status).toBe(200);
    expect(converse[0].requestMetadata).toEqual({ application: 'support-bot', feature: 'chat', tenantId: 'customer-123', requestId: 'req-meta' });
  });

  test('a name with characters Bedrock refuses is escaped, and the call is still made', async () => {
    // Tenant ids are validated to Bedrock-safe characters; the Application tag value may hold any Unicode letter
    const body = { message: 'Hello', tenantId: 'customer-123', userId: 'u' };

    await pipeline('Müller & Söhne').handle(body, { requestId: 'req-umlaut' });

    const [call] = simulator.sim.calls;
    expect(call.status).toBe(200);
    expect(call.requestMetadata!.application).toBe('M$fc.ller $26. S$f6.hne');
  });

  test('the simulator refuses metadata Bedrock refuses (a ValidationException, as on the wire)', async () => {
    const { ConverseCommand } = await import('@aws-sdk/client-bedrock-runtime');
    const sent = simulator.client.send(new ConverseCommand({
      modelId: NOVA_PRO, messages: [{ role: 'user', content: [{ text: 'hi' }] }], requestMetadata: { tenantId: 'a&b' },
    }));
    await expect(sent).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('request metadata on embeddings (InvokeModel)', () => {
  const ddb = mockClient(DynamoDBClient);
  afterAll(() => ddb.restore());

  test('every embeddings call carries the tenant, feature and application in X-Amzn-Bedrock-Request-Metadata', async () => {
    // Given a pipeline with an embedding cache that holds nothing yet
    ddb.on(BatchGetItemCommand).resolves({ Responses: { embeddings: [] } });
    ddb.on(BatchWriteItemCommand).resolves({});
    const embedding = { tableName: 'embeddings', invokeId: TITAN, modelId: TITAN, dimensions: 256, ttlSeconds: 86_400 };
    const cache = new EmbeddingCache(embedding, new DynamoDBClient({ region: 'us-east-1' }), simulator.client, () => Date.UTC(2026, 11, 1));
    const config = testConfig({ tiers: { simple: { invokeId: NOVA_PRO, modelId: NOVA_PRO } }, application: 'docs-qa', embedding });
    const embedder = new GenAiPipeline(config, { bedrock: simulator.client, recorder: new MemoryRecorder(), embeddingCache: cache, now: () => Date.UTC(2026, 11, 1), sleep: async () => undefined, random: () => 0.5 });

    // When two texts are embedded for tenant customer-123
    await embedder.embed({ texts: ['Refunds take 30 days.', 'Shipping is free.'], tenantId: 'customer-123', userId: 'u' }, { requestId: 'req-embed' });

    // Then both InvokeModel calls Bedrock received carry the attribution
    const invocations = simulator.sim.calls.filter((c) => c.operation === 'InvokeModel');
    expect(invocations).toHaveLength(2);
    for (const call of invocations) {
      expect(call.status).toBe(200);
      expect(call.requestMetadata).toEqual({ application: 'docs-qa', feature: 'chat', tenantId: 'customer-123', requestId: 'req-embed' });
    }
  });

  test('the simulator refuses a header Bedrock refuses', async () => {
    const { InvokeModelCommand } = await import('@aws-sdk/client-bedrock-runtime');
    const command = new InvokeModelCommand({ modelId: TITAN, contentType: 'application/json', body: JSON.stringify({ inputText: 'hi' }) });
    command.middlewareStack.add((next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amzn-bedrock-request-metadata'] = '{"tenantId":"a&b"}';
      return next(args);
    }, { step: 'build' });
    await expect(simulator.client.send(command)).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('metadataValue', () => {
  test('keeps a value Bedrock accepts as it is', () => {
    expect(metadataValue('tenant-42/eu:prod@example.com')).toBe('tenant-42/eu:prod@example.com');
  });

  test('always gives a value Bedrock accepts', () => {
    for (const value of ['a&b', 'ünïcödé', '日本語のテナント', '$', '', 'x'.repeat(300), 'é'.repeat(100), 'tab\tok', 'nbsp\u00a0no']) {
      expect(metadataValue(value)).toMatch(REQUEST_METADATA_VALUE);
    }
  });

  test('never maps two tenants to the same value', () => {
    // Pairs a naive replacement (unknown characters to '_', truncation at 256) would merge
    const pairs: Array<[string, string]> = [
      ['a&b', 'a_b'], ['a&b', 'a$26.b'], ['$', '$24.'], ['a'.repeat(256) + 'x', 'a'.repeat(256) + 'y'],
      ['é'.repeat(100), 'è'.repeat(100)], ['Müller', 'Muller'], ['nbsp\u00a0', 'nbsp '],
    ];
    for (const [a, b] of pairs) expect(metadataValue(a)).not.toBe(metadataValue(b));
  });

  test('a value too long once escaped becomes its SHA-256, which no raw value can spell', () => {
    const long = 'é'.repeat(100);
    expect(metadataValue(long)).toMatch(/^\$sha256:[0-9a-f]{64}$/);
    // A tenant literally named like a hash is escaped, so it cannot collide
    expect(metadataValue(metadataValue(long))).not.toBe(metadataValue(long));
  });

  test('leaves out the tenant when there is none', () => {
    expect(requestMetadataFor({ application: 'app', feature: 'chat' })).toEqual({ application: 'app', feature: 'chat' });
  });
});
