import { BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { FAST_RETRY, GLOBAL_TIERS, MemoryResponseCache, simulatorClient, testConfig } from './support';

let sim: BedrockSimulator;
beforeAll(async () => {
  sim = await startBedrockSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

function pipelineWithCache() {
  const cache = new MemoryResponseCache();
  const config = testConfig({
    tiers: { simple: GLOBAL_TIERS.simple, complex: GLOBAL_TIERS.complex },
    responseCache: { tableName: 'cache', ttlSeconds: 3_600, namespace: 'v1' },
    retry: { ...FAST_RETRY, maxAttempts: 3, attemptsPerModel: 2 },
  });
  const pipeline = new GenAiPipeline(config, {
    bedrock: simulatorClient(sim), recorder: new MemoryRecorder(), responseCache: cache, sleep: async () => undefined, random: () => 0.5,
  });
  return { pipeline, cache };
}

const identity = { requestId: 'req-1' };
const complexBody = { message: 'Compare the two refund policies step by step.', tenantId: 'customer-123', complexity: 'complex' };

describe('what the response cache keeps', () => {
  test('an answer from the routed model is cached and the repeat costs nothing', async () => {
    // Given a pipeline whose complex tier answers normally
    const { pipeline, cache } = pipelineWithCache();

    // When the same request comes twice
    await pipeline.handle(complexBody, identity);
    const repeat = await pipeline.handle(complexBody, identity);

    // Then the second is a cache hit and the model was called once
    expect(cache.items.size).toBe(1);
    expect(repeat.cache.response).toBe('hit');
    expect(sim.calls).toHaveLength(1);
  });

  test("a fallback model's answer is served once but not cached under the routed model's key", async () => {
    // Given the complex tier throttled twice, so the simple tier answers
    const { pipeline, cache } = pipelineWithCache();
    sim.injectFaults('throttle', 2);

    // When the request is answered by the fallback
    const first = await pipeline.handle(complexBody, identity);

    // Then the answer came from the cheaper tier and nothing was cached
    expect(first.model.tier).toBe('simple');
    expect(first.cache.response).toBe('miss');
    expect(cache.items.size).toBe(0);

    // And the repeat asks the routed model again
    const repeat = await pipeline.handle(complexBody, identity);
    expect(repeat.cache.response).toBe('miss');
    expect(repeat.model.tier).toBe('complex');
  });
});
