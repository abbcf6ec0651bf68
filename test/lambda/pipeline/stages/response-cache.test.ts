import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CachedResponse, DynamoDbResponseCache, responseCacheKey } from '../../../../lambda/pipeline/stages/response-cache';
import { GenAiRequest } from '../../../../lambda/pipeline/types';
import { HAIKU_45, SONNET_45, testRequest } from '../support';

const SYSTEM = 'You are the support assistant of Example Corp.';

function keyOf(request: GenAiRequest, overrides: { namespace?: string; system?: string; modelId?: string; maxTokens?: number } = {}): string {
  return responseCacheKey(overrides.namespace ?? 'v1', request, 'system' in overrides ? overrides.system : SYSTEM, overrides.modelId ?? HAIKU_45, overrides.maxTokens ?? 1024);
}

describe('response-cache stage: the key', () => {
  const base = testRequest({ context: 'Refunds take 30 days.', history: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }] });

  test('is the same for the same request', () => {
    // Given the same request built twice, with its fields in another order
    const again: GenAiRequest = { hints: {}, message: base.message, history: [...base.history], context: base.context, feature: 'chat', userId: 'user-42', tenantId: 'customer-123', requestId: 'req-1' };

    expect(keyOf(again)).toBe(keyOf(base));
  });

  test('is a SHA-256 in hex', () => {
    expect(keyOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('differs between tenants asking the same thing, so no tenant receives another one\'s answer', () => {
    expect(keyOf({ ...base, tenantId: 'customer-456' })).not.toBe(keyOf(base));
  });

  test('changes with the namespace, so bumping it invalidates every cached answer', () => {
    expect(keyOf(base, { namespace: 'v2' })).not.toBe(keyOf(base));
  });

  test.each<[string, (r: GenAiRequest) => string]>([
    ['the model', (r) => keyOf(r, { modelId: SONNET_45 })],
    ['the output cap', (r) => keyOf(r, { maxTokens: 256 })],
    ['the system prompt', (r) => keyOf(r, { system: 'You are the billing assistant.' })],
    ['the absence of a system prompt', (r) => keyOf(r, { system: undefined })],
    ['the context', (r) => keyOf({ ...r, context: 'Refunds take 14 days.' })],
    ['the absence of context', (r) => keyOf({ ...r, context: undefined })],
    ['the history', (r) => keyOf({ ...r, history: [{ role: 'user', content: 'Hey' }, { role: 'assistant', content: 'Hello!' }] })],
    ['the message', (r) => keyOf({ ...r, message: 'How do I reset my PIN?' })],
  ])('changes with %s', (_what, variant) => {
    expect(variant(base)).not.toBe(keyOf(base));
  });

  test('ignores who asked within the tenant and the request id, so a tenant shares its answers', () => {
    expect(keyOf({ ...base, userId: 'user-77', requestId: 'req-2' })).toBe(keyOf(base));
  });
});

describe('DynamoDbResponseCache', () => {
  const ddb = mockClient(DynamoDBClient);
  const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
  const cache = new DynamoDbResponseCache(new DynamoDBClient({ region: 'us-east-1' }), 'response-cache', () => NOW);
  const value: CachedResponse = {
    answer: 'Use the "Forgot password" link.', stopReason: 'end_turn', modelId: HAIKU_45, tier: 'simple',
    usage: { inputTokens: 20, outputTokens: 9, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, costUsd: 0.000065, createdAt: new Date(NOW).toISOString(),
  };

  beforeEach(() => ddb.reset());

  test('stores the answer under its key with the tenant and an expiry TTL seconds from now', async () => {
    // When an answer is cached for an hour
    await cache.put('k1', 'customer-123', value, 3_600);

    // Then one item is written with expiresAt = now (epoch seconds) + 3,600
    const input = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(input.TableName).toBe('response-cache');
    expect(input.Item).toEqual({
      cacheKey: { S: 'k1' },
      tenantId: { S: 'customer-123' },
      expiresAt: { N: String(NOW / 1000 + 3_600) },
      response: { S: JSON.stringify(value) },
    });
  });

  test('reads back a live item', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { cacheKey: { S: 'k1' }, expiresAt: { N: String(NOW / 1000 + 1) }, response: { S: JSON.stringify(value) } } });

    await expect(cache.get('k1')).resolves.toEqual(value);
  });

  test('treats an expired item DynamoDB has not deleted yet as a miss', async () => {
    // Given an item whose TTL passed this very second
    ddb.on(GetItemCommand).resolves({ Item: { cacheKey: { S: 'k1' }, expiresAt: { N: String(NOW / 1000) }, response: { S: JSON.stringify(value) } } });

    await expect(cache.get('k1')).resolves.toBeUndefined();
  });

  test('treats a missing item as a miss', async () => {
    ddb.on(GetItemCommand).resolves({});

    await expect(cache.get('k1')).resolves.toBeUndefined();
  });

  test('does not try to store an answer too large for a DynamoDB item', async () => {
    await cache.put('k1', 'customer-123', { ...value, answer: 'x'.repeat(400_000) }, 3_600);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});
