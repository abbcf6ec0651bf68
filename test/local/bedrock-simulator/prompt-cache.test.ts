import {
  CacheTTL,
  ContentBlock,
  ConverseCommand,
  ConverseCommandOutput,
  CountTokensCommand,
  SystemContentBlock,
  Tool,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { BedrockMessages, countTokens, minimumCacheableTokens } from '../../../packages/local/src/bedrock-simulator';
import { DEFAULT_MODEL_CATALOG, modelFacts } from '../../../shared/core';
import { minutes, rejectionOf, textOfTokens, useSimulatorPerTest } from './support';

const SONNET_4 = 'anthropic.claude-sonnet-4-20250514-v1:0';
const SONNET_37 = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';
const QUESTION = 'What changed in the bill?';
// The user message after the cached system prompt: 3 tokens of message overhead plus the text.
const QUESTION_TOKENS = 3 + countTokens(QUESTION);

function cachePoint(ttl?: CacheTTL): { cachePoint: { type: 'default'; ttl?: CacheTTL } } {
  return { cachePoint: ttl ? { type: 'default', ttl } : { type: 'default' } };
}

function withCachedSystem(modelId: string, systemTokens: number, ttl?: CacheTTL, variant = 0): ConverseCommand {
  const system: SystemContentBlock[] = [{ text: textOfTokens(systemTokens, variant) }, cachePoint(ttl)];
  return new ConverseCommand({ modelId, system, messages: [{ role: 'user', content: [{ text: QUESTION }] }] });
}

function expectUsageAddsUp(response: ConverseCommandOutput): void {
  const u = response.usage!;
  expect(u.totalTokens).toBe(u.inputTokens! + u.outputTokens! + u.cacheReadInputTokens! + u.cacheWriteInputTokens!);
}

describe('Bedrock simulator: prompt caching', () => {
  const h = useSimulatorPerTest();

  test("uses core's minimum cacheable tokens per model, and none where Bedrock has no caching", () => {
    for (const [id, price] of Object.entries(DEFAULT_MODEL_CATALOG)) {
      expect({ id, min: minimumCacheableTokens(id) }).toEqual({ id, min: price.minCacheTokens });
    }
    expect(minimumCacheableTokens('meta.llama3-70b-instruct-v1:0')).toBeUndefined();
  });

  test('the first use of a prefix writes it, a repeat within the TTL reads it', async () => {
    const write = await h.client.send(withCachedSystem(SONNET_4, 1500));
    expect(write.usage).toMatchObject({
      inputTokens: QUESTION_TOKENS,
      cacheWriteInputTokens: 1500,
      cacheReadInputTokens: 0,
      cacheDetails: [{ ttl: '5m', inputTokens: 1500 }],
    });
    expectUsageAddsUp(write);

    h.clock.advance(minutes(4));
    const read = await h.client.send(withCachedSystem(SONNET_4, 1500));
    expect(read.usage).toMatchObject({ inputTokens: QUESTION_TOKENS, cacheReadInputTokens: 1500, cacheWriteInputTokens: 0 });
    expect(read.usage?.cacheDetails).toBeUndefined();
    expectUsageAddsUp(read);
    expect(read.usage?.totalTokens).toBe(write.usage?.totalTokens);
  });

  test('inputTokens excludes cache reads and writes', async () => {
    const count = await h.client.send(
      new CountTokensCommand({
        modelId: SONNET_4,
        input: { converse: { system: [{ text: textOfTokens(1500) }, cachePoint()], messages: [{ role: 'user', content: [{ text: QUESTION }] }] } },
      }),
    );
    const write = await h.client.send(withCachedSystem(SONNET_4, 1500));
    expect(count.inputTokens).toBe(1500 + QUESTION_TOKENS);
    expect(write.usage?.inputTokens).toBe(count.inputTokens! - 1500);
  });

  test('an entry expires after 5 minutes without use', async () => {
    await h.client.send(withCachedSystem(SONNET_4, 1500));
    h.clock.advance(minutes(5) + 1);
    const again = await h.client.send(withCachedSystem(SONNET_4, 1500));
    expect(again.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 });
  });

  test('each read refreshes the TTL', async () => {
    await h.client.send(withCachedSystem(SONNET_4, 1500));
    h.clock.advance(minutes(4));
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500))).usage?.cacheReadInputTokens).toBe(1500);
    h.clock.advance(minutes(4));
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500))).usage?.cacheReadInputTokens).toBe(1500);
    h.clock.advance(minutes(5) + 1);
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500))).usage?.cacheWriteInputTokens).toBe(1500);
  });

  test('a 1h cache point is reported in cacheDetails and outlives 5 minutes', async () => {
    const write = await h.client.send(withCachedSystem(SONNET_4, 1500, '1h'));
    expect(write.usage?.cacheDetails).toEqual([{ ttl: '1h', inputTokens: 1500 }]);
    h.clock.advance(minutes(59));
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500, '1h'))).usage?.cacheReadInputTokens).toBe(1500);
    h.clock.advance(minutes(60) + 1);
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500, '1h'))).usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 });
  });

  test('a prefix below the model minimum is silently not cached', async () => {
    const minimum = modelFacts(SONNET_4).minCacheTokens!;
    for (let i = 0; i < 2; i++) {
      const response = await h.client.send(withCachedSystem(SONNET_4, minimum - 1));
      expect(response.usage).toMatchObject({ inputTokens: minimum - 1 + QUESTION_TOKENS, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
      expect(response.usage?.cacheDetails).toBeUndefined();
      expectUsageAddsUp(response);
    }
    expect((await h.client.send(withCachedSystem(SONNET_4, minimum))).usage?.cacheWriteInputTokens).toBe(minimum);
  });

  test.each([[HAIKU_45], [NOVA_MICRO], ['anthropic.claude-sonnet-4-5-20250929-v1:0'], ['anthropic.claude-3-5-haiku-20241022-v1:0']])(
    "the minimum depends on the model: %s caches from core's minimum on", async (modelId) => {
      const minimum = modelFacts(modelId).minCacheTokens!;
      expect((await h.client.send(withCachedSystem(modelId, minimum - 1))).usage?.cacheWriteInputTokens).toBe(0);
      expect((await h.client.send(withCachedSystem(modelId, minimum))).usage?.cacheWriteInputTokens).toBe(minimum);
    });

  test('entries are per model', async () => {
    await h.client.send(withCachedSystem(SONNET_4, 1500));
    expect((await h.client.send(withCachedSystem(SONNET_37, 1500))).usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 });
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500))).usage?.cacheReadInputTokens).toBe(1500);
  });

  test('a different prefix misses', async () => {
    await h.client.send(withCachedSystem(SONNET_4, 1500, undefined, 0));
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500, undefined, 1))).usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 });
  });

  test('with several cache points, the longest cached prefix is read and the rest written', async () => {
    const system: SystemContentBlock[] = [{ text: textOfTokens(1200) }, cachePoint()];
    const turn = (variant: number): ContentBlock[] => [{ text: textOfTokens(800, variant) }, cachePoint(), { text: QUESTION }];

    const first = await h.client.send(new ConverseCommand({ modelId: SONNET_4, system, messages: [{ role: 'user', content: turn(0) }] }));
    // 1200 (system) + 3 (message overhead) + 800 (document) up to the second cache point.
    expect(first.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 2003, inputTokens: countTokens(QUESTION) });
    expect(first.usage?.cacheDetails).toEqual([{ ttl: '5m', inputTokens: 2003 }]);

    const sameSystemNewDocument = await h.client.send(new ConverseCommand({ modelId: SONNET_4, system, messages: [{ role: 'user', content: turn(1) }] }));
    expect(sameSystemNewDocument.usage).toMatchObject({ cacheReadInputTokens: 1200, cacheWriteInputTokens: 803, inputTokens: countTokens(QUESTION) });
    expectUsageAddsUp(sameSystemNewDocument);
  });

  test('mixed TTLs are reported per TTL, 1h first', async () => {
    const system: SystemContentBlock[] = [{ text: textOfTokens(1200) }, cachePoint('1h'), { text: textOfTokens(300, 3) }, cachePoint('5m')];
    const response = await h.client.send(new ConverseCommand({ modelId: SONNET_4, system, messages: [{ role: 'user', content: [{ text: QUESTION }] }] }));
    expect(response.usage?.cacheDetails).toEqual([
      { ttl: '1h', inputTokens: 1200 },
      { ttl: '5m', inputTokens: 300 },
    ]);
    expect(response.usage?.cacheWriteInputTokens).toBe(1500);
  });

  test('tool specifications come first in the cached prefix', async () => {
    const tools: Tool[] = [
      { toolSpec: { name: 'lookup_costs', description: textOfTokens(1100), inputSchema: { json: { type: 'object' } } } },
      { cachePoint: { type: 'default' } },
    ];
    const toolTokens = countTokens('lookup_costs') + 1100 + countTokens(JSON.stringify({ type: 'object' }));
    const command = new ConverseCommand({ modelId: SONNET_4, toolConfig: { tools }, messages: [{ role: 'user', content: [{ text: QUESTION }] }] });
    expect((await h.client.send(command)).usage).toMatchObject({ cacheWriteInputTokens: toolTokens, inputTokens: QUESTION_TOKENS });
    expect((await h.client.send(command)).usage?.cacheReadInputTokens).toBe(toolTokens);
  });

  test('a cache point on a model without prompt caching is a ValidationException', async () => {
    const error = await rejectionOf(h.client.send(withCachedSystem('meta.llama3-70b-instruct-v1:0', 1500)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.unsupportedCaching);
  });

  test('rejects more than four cache points and a TTL that increases', async () => {
    const tooMany: SystemContentBlock[] = [];
    for (let i = 0; i < 5; i++) tooMany.push({ text: `part ${i}` }, cachePoint());
    const tooManyError = await rejectionOf(h.client.send(new ConverseCommand({ modelId: SONNET_4, system: tooMany, messages: [{ role: 'user', content: [{ text: 'x' }] }] })));
    expect(tooManyError).toBeInstanceOf(ValidationException);

    const increasing: SystemContentBlock[] = [{ text: 'a' }, cachePoint('5m'), { text: 'b' }, cachePoint('1h')];
    const increasingError = await rejectionOf(h.client.send(new ConverseCommand({ modelId: SONNET_4, system: increasing, messages: [{ role: 'user', content: [{ text: 'x' }] }] })));
    expect(increasingError).toBeInstanceOf(ValidationException);
  });

  test('reset() empties the cache', async () => {
    await h.client.send(withCachedSystem(SONNET_4, 1500));
    h.sim.reset();
    expect((await h.client.send(withCachedSystem(SONNET_4, 1500))).usage?.cacheWriteInputTokens).toBe(1500);
  });
});
