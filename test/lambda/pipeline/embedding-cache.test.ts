import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EmbeddingConfig } from '../../../lambda/pipeline/config';
import { EmbeddingCache, normalizeText } from '../../../lambda/pipeline/embedding-cache';
import { PipelineError } from '../../../lambda/pipeline/errors';
import { validateEmbedRequest } from '../../../lambda/pipeline/stages/validate-request';
import { pipelineErrorOf, useBedrockSimulator, testConfig } from './support';

const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
const config: EmbeddingConfig = { tableName: 'embeddings', invokeId: TITAN_V2, modelId: TITAN_V2, dimensions: 256, ttlSeconds: 86_400 };
const NOW = Date.UTC(2026, 10, 28, 12);

const ddb = mockClient(DynamoDBClient);

const simulator = useBedrockSimulator();
beforeEach(() => {
  simulator.sim.reset();
  ddb.reset();
  ddb.on(BatchGetItemCommand).resolves({ Responses: { embeddings: [] } });
  ddb.on(BatchWriteItemCommand).resolves({});
});

const cache = () => new EmbeddingCache(config, new DynamoDBClient({ region: 'us-east-1' }), simulator.client, () => NOW);

/** The three steps the pipeline runs around the spend port: look up, embed what is missing, store. */
async function embed(texts: string[]) {
  const c = cache();
  const lookup = await c.lookup('customer-123', texts);
  const embedded = await c.embedMissing(lookup);
  await c.store(lookup, embedded.vectors);
  return { vectors: c.vectorsOf(lookup, embedded), hits: lookup.hits, misses: lookup.missing.length, inputTokens: embedded.inputTokens, lookup };
}

describe('normalizeText', () => {
  test('folds whitespace runs, trims the ends and composes Unicode (NFC)', () => {
    // "e" + combining acute accent becomes "é"
    expect(normalizeText('  Cafe\u0301 \n\t opens   at 9 ')).toBe('Café opens at 9');
  });
});

describe('EmbeddingCache', () => {
  test('embeds a text repeated within one batch once, and charges it once', async () => {
    const result = await embed(['Refunds take 30 days.', ' Refunds  take 30 days. ']);

    expect(simulator.sim.calls).toHaveLength(1);
    expect(result).toMatchObject({ hits: 0, misses: 1, inputTokens: simulator.sim.calls[0].usage!.inputTokens });
    expect(result.vectors[1]).toEqual(result.vectors[0]);
  });

  test('stores each new vector as float32 bytes that expire after the TTL', async () => {
    await embed(['Refunds take 30 days.']);

    const write = ddb.commandCalls(BatchWriteItemCommand)[0].args[0].input.RequestItems!.embeddings[0].PutRequest!.Item!;
    expect(write.expiresAt).toEqual({ N: String(NOW / 1000 + 86_400) });
    // 256 dimensions x 4 bytes
    expect(write.vector.B).toHaveLength(1_024);
  });

  test("keys each tenant's entries apart: the same text of two tenants has two keys, each item naming its tenant", async () => {
    const c = cache();

    const [a, b] = [await c.lookup('key:tenant-a', ['Refunds take 30 days.']), await c.lookup('key:tenant-b', ['Refunds take 30 days.'])];
    await c.store(a, new Map([[a.keys[0], [0.5]]]));

    expect(a.keys[0]).not.toBe(b.keys[0]);
    const item = ddb.commandCalls(BatchWriteItemCommand)[0].args[0].input.RequestItems!.embeddings[0].PutRequest!.Item!;
    expect(item).toMatchObject({ cacheKey: { S: a.keys[0] }, tenantId: { S: 'key:tenant-a' } });
  });

  test('bounds the tokens of each missing text for the reservation, at least what Bedrock billed', async () => {
    const result = await embed(['Refunds take 30 days.']);

    expect(result.lookup.missing[0].boundTokens).toBeGreaterThanOrEqual(result.inputTokens);
  });

  test('returns the float32 vector it stores, so that a later hit returns the same numbers', async () => {
    const { vectors } = await embed(['Refunds take 30 days.']);

    expect(vectors[0].every((v) => Math.fround(v) === v)).toBe(true);
  });

  test.each<[string, unknown, string]>([
    ['an empty list', [], 'texts'],
    ['a list of 101 texts', Array.from({ length: 101 }, (_, i) => `text ${i}`), 'texts'],
    ['a blank text', ['fine', ' \n '], 'texts[1]'],
    ['a text that is not a string', ['fine', 42], 'texts[1]'],
    ['a text of 50,001 characters', ['x'.repeat(50_001)], 'texts[0]'],
    ['something that is not a list', 'Refunds take 30 days.', 'texts'],
    ['a text with a lone surrogate', ['fine', 'broken \uD800 text'], 'texts[1]'],
  ])('refuses %s with 400 naming %s, before reading the cache or calling the model', async (_case, texts, field) => {
    const error = await pipelineErrorOf(() => validateEmbedRequest({ texts, tenantId: 'customer-123' }, { requestId: 'req-1' }, testConfig()));

    expect(error).toBeInstanceOf(PipelineError);
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ field });
    expect(ddb.calls()).toHaveLength(0);
    expect(simulator.sim.calls).toHaveLength(0);
  });
});
