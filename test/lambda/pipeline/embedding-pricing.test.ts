import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EmbeddingConfig, PipelineConfig } from '../../../lambda/pipeline/config';
import { EmbeddingCache } from '../../../lambda/pipeline/embedding-cache';
import { DynamoDbLedgerGuard } from '../../../lambda/pipeline/guards';
import { GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { applyPriceOverrides, attoToUsd, DEFAULT_FALLBACK_PRICE, DEFAULT_MODEL_CATALOG, lookupModel, ModelCatalog, priceUsageExact } from '../../../shared/core';
import { LocalDynamoDb, localClientConfig, startDynamoDbLocal } from '../../../packages/local/src/services';
import { createLedgerTable } from '../../../packages/local/src/services/ledger-table';
import { counterOf } from './guards/ledger-support';
import { testConfig, useBedrockSimulator } from './support';

// An embedding call is priced as a Converse call is: by the pricing core's exact computation over its usage (input
// tokens alone), once; what the ledger is settled to, what the caller is told and what is recorded are that one
// amount. Everything real but the clock: DynamoDB Local for the cache and the ledger, the Bedrock simulator.

const TITAN = 'amazon.titan-embed-text-v2:0';
const NOW = Date.UTC(2026, 11, 1, 9, 30);
const TENANT_MONTH = 'tenant#customer-123#2026-12';
const simulator = useBedrockSimulator();

let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  dynamodb = await startDynamoDbLocal();
  client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
});
afterAll(async () => {
  client?.destroy();
  await dynamodb?.stop();
});
beforeEach(() => simulator.sim.reset());

/** A pipeline whose embeddings are cached and whose tenant has a USD limit on a ledger, each in a table of its own. */
async function embedder(priceOverrides?: PipelineConfig['priceOverrides']) {
  const n = ++tables;
  const embedding: EmbeddingConfig = { tableName: `embeddings-${n}`, invokeId: TITAN, modelId: TITAN, dimensions: 256, ttlSeconds: 86_400 };
  await client.send(new CreateTableCommand({
    TableName: embedding.tableName, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
  }));
  const ledgerTable = `ledger-${n}`;
  await createLedgerTable(client, ledgerTable);
  const config = testConfig({ embedding, ...(priceOverrides ? { priceOverrides } : {}) });
  const recorder = new MemoryRecorder();
  const pipeline = new GenAiPipeline(config, {
    bedrock: simulator.client, recorder, now: () => NOW, sleep: async () => undefined, random: () => 0.5,
    embeddingCache: new EmbeddingCache(embedding, client, simulator.client, () => NOW),
    guards: [new DynamoDbLedgerGuard({
      client, tableName: ledgerTable, now: () => NOW, guards: { usageLimits: [{ scope: 'tenant', window: 'month', maxCostUsd: 100 }] },
    })],
  });
  return { pipeline, recorder, ledgerTable };
}

/** The tokens Bedrock billed for the embeddings calls so far. */
function billedInputTokens(): number {
  return simulator.sim.calls.filter((c) => c.operation === 'InvokeModel').reduce((sum, c) => sum + c.usage!.inputTokens, 0);
}

function titanPrice(catalog: ModelCatalog) {
  return lookupModel(TITAN, catalog, DEFAULT_FALLBACK_PRICE).price;
}

describe('the price of an embedding call', () => {
  test.each([
    ['the catalog price', undefined],
    // A negotiated price whose every micro-dollar counts: a float product would drift from it.
    ['a negotiated price', { [TITAN]: { inputPerMillion: 0.019_997, outputPerMillion: 0 } }],
  ])('at %s, is pricing\'s exact computation over its usage: settled on the ledger, answered and recorded alike', async (_name, overrides) => {
    // Given a pipeline with an embedding cache and a tenant USD limit on the ledger
    const { pipeline, recorder, ledgerTable } = await embedder(overrides);

    // When three texts are embedded, one of them asked twice (embedded and charged once)
    const result = await pipeline.embed({ texts: ['Refunds take 30 days.', 'Shipping is free over $50.', 'Refunds take 30 days.', 'Returns need a receipt.'], tenantId: 'customer-123', userId: 'u' }, { requestId: 'req-embed' });

    // Then the cost is the pricing core's exact amount for the tokens Bedrock billed, at the price in force
    const inputTokens = billedInputTokens();
    expect(inputTokens).toBeGreaterThan(0);
    const price = titanPrice(overrides ? applyPriceOverrides(DEFAULT_MODEL_CATALOG, overrides) : DEFAULT_MODEL_CATALOG);
    const exact = priceUsageExact({ inputTokens }, price).totalAtto;
    expect(exact).toBeGreaterThan(0n);
    // ... settled to the attodollar on the ledger (the reservation's bound given back in full)
    const counter = await counterOf(client, ledgerTable, TENANT_MONTH);
    expect(counter).toMatchObject({ tokens: inputTokens, costAtto: exact });
    // ... and the same amount, as USD, answered and recorded
    expect(result).toMatchObject({ inputTokens, costUsd: attoToUsd(exact), misses: 3, hits: 0 });
    const [record] = recorder.records;
    expect(record).toMatchObject({ path: 'embedding', status: 200, costUsd: attoToUsd(exact), priced: 'catalog', usage: { inputTokens, outputTokens: 0 }, settleFailures: 0 });
  });

  test('of a batch the cache answers whole is nothing, and nothing is settled', async () => {
    // Given texts embedded once already
    const { pipeline, recorder, ledgerTable } = await embedder();
    const texts = ['Refunds take 30 days.', 'Returns need a receipt.'];
    await pipeline.embed({ texts, tenantId: 'customer-123', userId: 'u' }, { requestId: 'req-1' });
    const before = await counterOf(client, ledgerTable, TENANT_MONTH);

    // When they are asked for again
    const result = await pipeline.embed({ texts, tenantId: 'customer-123', userId: 'u' }, { requestId: 'req-2' });

    // Then no model call is made, the cost is zero and the ledger is as it was
    expect(simulator.sim.calls.filter((c) => c.operation === 'InvokeModel')).toHaveLength(2);
    expect(result).toMatchObject({ inputTokens: 0, costUsd: 0, hits: 2, misses: 0 });
    expect(recorder.records[1]).toMatchObject({ costUsd: 0, priced: 'catalog', usage: { inputTokens: 0 } });
    expect(await counterOf(client, ledgerTable, TENANT_MONTH)).toEqual(before);
  });
});
