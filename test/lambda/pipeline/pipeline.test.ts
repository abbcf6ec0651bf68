import { BedrockRuntimeClient, ConverseCommand, ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { PipelineConfig } from '../../../lambda/pipeline/config';
import { GenAiPipeline, PipelineDependencies } from '../../../lambda/pipeline/pipeline';
import { NO_SPEND, SpendAmount, SpendContext, SpendGuard } from '../../../lambda/pipeline/guards';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { PipelineError } from '../../../lambda/pipeline/errors';
import { BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import {
  FAST_RETRY, HAIKU_45, LLAMA_31_8B, MemoryResponseCache, pipelineErrorOf, proseOfWords, simulatorClient, SONNET_4, testConfig, usd,
} from './support';

// Prices per 1M tokens (lambda/core/model-catalog.ts): Claude Haiku 4.5 through a global profile $1 in / $5 out;
// Llama 3.1 8B $0.22 / $0.22.

let sim: BedrockSimulator;
let bedrock: BedrockRuntimeClient;
let sent: ConverseCommandInput[];
/** The simulator's client, recording what the pipeline sends to Converse. */
let recordingBedrock: BedrockRuntimeClient;

beforeAll(async () => {
  sim = await startBedrockSimulator();
  bedrock = simulatorClient(sim);
  recordingBedrock = {
    send: (command: ConverseCommand) => {
      sent.push(command.input);
      return bedrock.send(command);
    },
  } as unknown as BedrockRuntimeClient;
});
afterAll(async () => {
  bedrock.destroy();
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  sent = [];
});

const identity = { requestId: 'req-1' };
const body = { message: 'How do I reset my password?', tenantId: 'customer-123', userId: 'user-42' };

interface Harness {
  readonly pipeline: GenAiPipeline;
  readonly recorder: MemoryRecorder;
  readonly cache: MemoryResponseCache;
  readonly warnings: string[];
}

function harness(config: PipelineConfig = testConfig({ responseCache: { tableName: 'cache', ttlSeconds: 3_600, namespace: 'v1' } }), deps: Partial<PipelineDependencies> = {}): Harness {
  const recorder = new MemoryRecorder();
  const cache = new MemoryResponseCache();
  const warnings: string[] = [];
  const pipeline = new GenAiPipeline(config, {
    bedrock: recordingBedrock,
    recorder,
    responseCache: cache,
    now: () => Date.UTC(2026, 10, 28, 12),
    sleep: async () => undefined,
    random: () => 0.5,
    warn: (message) => warnings.push(message),
    ...deps,
  });
  return { pipeline, recorder, cache, warnings };
}

/** A guard that records what it is told, in order. */
class RecordingGuard implements SpendGuard {
  readonly name = 'recording';
  events: string[] = [];
  admitted: SpendContext[] = [];
  reserved: SpendAmount[] = [];
  settlements: Array<{ reserved: SpendAmount; actual: SpendAmount; key: string }> = [];
  async admit(context: SpendContext) {
    this.events.push('admit');
    this.admitted.push(context);
  }
  async reserve(_context: SpendContext, estimate: SpendAmount) {
    this.events.push('reserve');
    this.reserved.push(estimate);
    return `hold-${this.reserved.length}`;
  }
  async settle(_context: SpendContext, _hold: string | undefined, reserved: SpendAmount, actual: SpendAmount, key: string) {
    this.events.push('settle');
    this.settlements.push({ reserved, actual, key });
  }
}

describe('GenAiPipeline', () => {
  test('answers with the usage Bedrock reported and its cost', async () => {
    const { pipeline } = harness();

    const result = await pipeline.handle(body, identity);

    // The simulator's usage is what Bedrock billed; at $1 / $5 per 1M (Haiku 4.5, global profile)
    const billed = sim.calls[0].usage!;
    expect(result.usage).toEqual({ inputTokens: billed.inputTokens, outputTokens: billed.outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(result.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, 1) + usd(billed.outputTokens, 5), 12);
    expect(result.cost.priced).toBe('catalog');
    expect(result.model).toMatchObject({ id: `global.${HAIKU_45}`, tier: 'simple' });
    expect(result.answer.length).toBeGreaterThan(0);
    expect(result).toMatchObject({ requestId: 'req-1', stopReason: 'end_turn', attempts: 1, cache: { response: 'miss', prompt: 'none' } });
  });

  test('measures latency with the injected clock', async () => {
    // Given a clock that a guard moves 1,234 ms forward while the request runs
    let now = 1_000_000;
    const slowGuard: SpendGuard = {
      name: 'slow', reserve: async () => {
        now += 1_234;
        return undefined;
      },
    };
    const { pipeline } = harness(undefined, { now: () => now, guards: [slowGuard] });

    const result = await pipeline.handle(body, identity);

    expect(result.latencyMs).toBe(1_234);
  });

  test('serves a repeated request from the response cache: no model call, nothing charged, the saving reported', async () => {
    const { pipeline } = harness();
    const first = await pipeline.handle(body, identity);

    const second = await pipeline.handle(body, { requestId: 'req-2' });

    expect(sim.calls).toHaveLength(1);
    expect(second).toMatchObject({
      requestId: 'req-2',
      answer: first.answer,
      attempts: 0,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      cost: { totalUsd: 0 },
      cache: { response: 'hit', prompt: 'none', savedUsd: first.cost.totalUsd },
    });
  });

  test('caches answers per tenant', async () => {
    const { pipeline, cache } = harness();
    await pipeline.handle(body, identity);

    const other = await pipeline.handle({ ...body, tenantId: 'customer-456' }, { requestId: 'req-2' });

    expect(other.cache.response).toBe('miss');
    expect(sim.calls).toHaveLength(2);
    expect([...cache.items.values()].map((item) => item.tenantId).sort()).toEqual(['customer-123', 'customer-456']);
  });

  test('stores the answer with the TTL of the configuration', async () => {
    const { pipeline, cache } = harness();

    const result = await pipeline.handle(body, identity);

    const [item] = [...cache.items.values()];
    expect(item).toMatchObject({ tenantId: 'customer-123', ttlSeconds: 3_600, value: { answer: result.answer, costUsd: result.cost.totalUsd, modelId: `global.${HAIKU_45}` } });
  });

  test('reports the response cache off when the workflow has none', async () => {
    const { pipeline, cache } = harness(testConfig());

    const result = await pipeline.handle(body, identity);

    expect(result.cache.response).toBe('off');
    expect(cache.gets).toBe(0);
    expect(cache.items.size).toBe(0);
  });

  test('sends the workflow default system prompt when the request brings none', async () => {
    const { pipeline } = harness(testConfig({ defaultSystemPrompt: 'You are the support assistant.' }));

    await pipeline.handle(body, identity);

    expect(sent[0].system).toEqual([{ text: 'You are the support assistant.' }]);
  });

  test("sends the request's system prompt instead of the default", async () => {
    const { pipeline } = harness(testConfig({ defaultSystemPrompt: 'You are the support assistant.' }));

    await pipeline.handle({ ...body, system: 'You are the billing assistant.' }, identity);

    expect(sent[0].system).toEqual([{ text: 'You are the billing assistant.' }]);
  });

  test("lowers the model's output cap to the caller's hint", async () => {
    const { pipeline } = harness();

    const result = await pipeline.handle({ ...body, maxOutputTokens: 5 }, identity);

    expect(sent[0].inferenceConfig).toEqual({ maxTokens: 5 });
    expect(result.usage.outputTokens).toBe(5);
    expect(result.stopReason).toBe('max_tokens');
  });

  describe('rejections', () => {
    test('a prompt over the feature limit is refused with 413 before the guard, the cache or the model', async () => {
      // Given a 5-token input limit
      const guard = new RecordingGuard();
      const { pipeline, cache } = harness(testConfig({
        features: { chat: { maxInputTokens: 5, maxOutputTokens: 100 } },
        responseCache: { tableName: 'cache', ttlSeconds: 60, namespace: 'v1' },
      }), { guards: [guard] });

      // When a message of six words and a question mark arrives: at least 7 tokens
      const error = await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(error.status).toBe(413);
      expect(error.details).toMatchObject({ measure: 'floor', floorInputTokens: 7, maxInputTokens: 5 });
      expect(sim.calls).toHaveLength(0);
      expect(guard.events).toHaveLength(0);
      expect(cache.gets).toBe(0);
    });

    test('an invalid body is recorded once as a 400 of the default feature', async () => {
      const { pipeline, recorder } = harness();

      await pipelineErrorOf(() => pipeline.handle({ tenantId: 'customer-123' }, identity));

      expect(recorder.records).toEqual([{
        application: 'support', environment: 'test', feature: 'chat', path: 'converse', status: 400, errorCode: 'INVALID_REQUEST',
        requestId: 'req-1', tenantId: undefined, userId: undefined,
      }]);
    });

    test('a refused prompt is recorded once with its request and status, without a result', async () => {
      const { pipeline, recorder } = harness(testConfig({ features: { chat: { maxInputTokens: 5, maxOutputTokens: 100 } } }));

      await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(recorder.records).toHaveLength(1);
      expect(recorder.records[0]).toMatchObject({ status: 413, errorCode: 'PROMPT_TOO_LARGE', tenantId: 'customer-123', path: 'converse' });
      expect(recorder.records[0].usage).toBeUndefined();
      expect(recorder.records[0].modelId).toBeUndefined();
    });

    test('an answered request is recorded once with its result', async () => {
      const { pipeline, recorder } = harness();

      const result = await pipeline.handle(body, identity);

      expect(recorder.records).toHaveLength(1);
      expect(recorder.records[0]).toMatchObject({
        status: 200, feature: 'chat', path: 'converse', modelId: result.model.id, usage: result.usage, costUsd: result.cost.totalUsd,
        attempts: 1, responseCache: 'miss', inputTokenBound: result.inputTokenBound, settleFailures: 0,
      });
    });

    test('a model error that is not worth retrying is recorded as a 502', async () => {
      const broken = {
        send: async () => {
          throw new TypeError('socket hang up');
        },
      } as unknown as BedrockRuntimeClient;
      const { pipeline, recorder } = harness(undefined, { bedrock: broken });

      await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(recorder.records).toHaveLength(1);
      expect(recorder.records[0]).toMatchObject({ status: 502, errorCode: 'MODEL_ERROR' });
    });

    test('an unexpected failure is recorded as a 500 and rethrown as is', async () => {
      const crash = new Error('guard table missing');
      const crashing: SpendGuard = {
        name: 'crashing', reserve: async () => {
          throw crash;
        },
      };
      const { pipeline, recorder } = harness(undefined, { guards: [crashing] });

      await expect(pipeline.handle(body, identity)).rejects.toBe(crash);
      expect(recorder.records).toEqual([expect.objectContaining({ status: 500, errorCode: 'INTERNAL_ERROR' })]);
    });
  });

  describe('the guard seam', () => {
    test('admits before the cache lookup, reserves on a miss, settles after the call, in that order', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(undefined, { guards: [guard] });

      await pipeline.handle(body, identity);

      expect(guard.events).toEqual(['admit', 'reserve', 'settle']);
      expect(guard.admitted[0]).toMatchObject({ tenantId: 'customer-123', userId: 'user-42', feature: 'chat', path: 'converse', requestId: 'req-1' });
    });

    test('tells the guards the request\'s deadline, so a ledger bounds its settlement by it', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(undefined, { guards: [guard] });
      const deadlineMs = Date.UTC(2026, 10, 28, 12) + 29_000;

      await pipeline.handle(body, identity, { deadlineMs });

      expect(guard.admitted[0]).toMatchObject({ path: 'converse', deadlineMs });
    });

    test('reserves the input bound plus the output cap at the exact upper-bound cost', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(undefined, { guards: [guard] });

      const result = await pipeline.handle(body, identity);

      // No prompt caching on this short prompt: the bound at Haiku 4.5's $1 input, 1,024 output tokens at $5 (global)
      const bound = result.inputTokenBound;
      expect(guard.reserved).toEqual([{ tokens: bound + 1024, cacheReadTokens: 0, costAtto: BigInt(bound) * 1_000_000n * 1_000_000n + 1024n * 5_000_000n * 1_000_000n }]);
      expect(bound).toBeGreaterThanOrEqual(result.usage.inputTokens);
    });

    test('settles to the usage and exact cost Bedrock billed, under the request id', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(undefined, { guards: [guard] });

      const result = await pipeline.handle(body, identity);

      const { inputTokens, outputTokens } = result.usage;
      expect(guard.settlements).toEqual([{
        reserved: guard.reserved[0],
        actual: { tokens: inputTokens + outputTokens, cacheReadTokens: 0, costAtto: BigInt(inputTokens) * 10n ** 12n + BigInt(outputTokens) * 5n * 10n ** 12n },
        key: 'converse:req-1',
      }]);
      expect(Number(guard.settlements[0].actual.costAtto) / 1e18).toBeCloseTo(result.cost.totalUsd, 15);
    });

    test('a response-cache hit is admitted but never reserves or settles: it is free', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(undefined, { guards: [guard] });
      await pipeline.handle(body, identity);
      guard.events = [];

      const hit = await pipeline.handle(body, { requestId: 'req-2' });

      expect(hit.cache.response).toBe('hit');
      expect(guard.events).toEqual(['admit']);
    });

    test('a guard that refuses at admit blocks the request before the cache and the model', async () => {
      const breaker: SpendGuard = {
        name: 'breaker', admit: async () => {
          throw new PipelineError(503, 'FEATURE_PAUSED', 'chat is paused by the circuit breaker.');
        },
      };
      const { pipeline, cache, recorder } = harness(undefined, { guards: [breaker] });

      const error = await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(error.code).toBe('FEATURE_PAUSED');
      expect(cache.gets).toBe(0);
      expect(sim.calls).toHaveLength(0);
      expect(recorder.records).toEqual([expect.objectContaining({ status: 503, errorCode: 'FEATURE_PAUSED' })]);
    });

    test('settles to nothing when the model call fails unbilled (throttled)', async () => {
      const guard = new RecordingGuard();
      const { pipeline } = harness(testConfig({ retry: { ...FAST_RETRY, maxAttempts: 1 } }), { guards: [guard] });
      sim.injectFaults('throttle', 1);

      await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(guard.settlements).toEqual([{ reserved: guard.reserved[0], actual: NO_SPEND, key: 'converse:req-1' }]);
    });

    test('all guards reserve or none: a later refusal settles the earlier holds to nothing', async () => {
      const first = new RecordingGuard();
      const quota: SpendGuard = {
        name: 'quota', reserve: async () => {
          throw new PipelineError(429, 'TENANT_QUOTA_EXCEEDED', 'customer-123 used its monthly budget.');
        },
      };
      const { pipeline } = harness(undefined, { guards: [first, quota] });

      const error = await pipelineErrorOf(() => pipeline.handle(body, identity));

      expect(error.code).toBe('TENANT_QUOTA_EXCEEDED');
      expect(sim.calls).toHaveLength(0);
      expect(first.events).toEqual(['admit', 'reserve', 'settle']);
      expect(first.settlements[0].actual).toEqual(NO_SPEND);
    });

    test('a settlement that fails after a billed call returns the answer, counts the failure and never releases', async () => {
      const failing: SpendGuard = {
        name: 'ledger',
        reserve: async () => 'hold',
        settle: async () => {
          throw new Error('ledger table unreachable');
        },
      };
      const { pipeline, recorder, warnings } = harness(undefined, { guards: [failing] });

      const result = await pipeline.handle(body, identity);

      expect(result.answer.length).toBeGreaterThan(0);
      expect(result.cost.totalUsd).toBeGreaterThan(0);
      expect(recorder.records).toEqual([expect.objectContaining({ status: 200, settleFailures: 1, costUsd: result.cost.totalUsd })]);
      expect(warnings).toEqual([expect.stringContaining('could not settle')]);
    });
  });

  describe('the response cache fails open', () => {
    test('an unreadable cache is a miss, reported as a warning', async () => {
      const failingRead = harness(undefined, {
        responseCache: { get: async () => { throw new Error('ProvisionedThroughputExceededException'); }, put: async () => undefined },
      });

      const result = await failingRead.pipeline.handle(body, identity);

      expect(result.cache.response).toBe('miss');
      expect(sim.calls).toHaveLength(1);
      expect(failingRead.warnings).toEqual(['response cache read failed; treating as a miss']);
    });

    test('an unwritable cache still returns the answer, reported as a warning', async () => {
      const failingWrite = harness(undefined, {
        responseCache: { get: async () => undefined, put: async () => { throw new Error('AccessDeniedException'); } },
      });

      const result = await failingWrite.pipeline.handle(body, identity);

      expect(result.answer.length).toBeGreaterThan(0);
      expect(failingWrite.warnings).toEqual(['response cache write failed; answer not cached']);
    });
  });

  describe('a fallback to a model without prompt caching', () => {
    // Sonnet 4 caches from 1,024 tokens; Llama 3.1 8B has no prompt caching and Bedrock rejects cache points for it.
    const config = testConfig({
      tiers: { simple: { invokeId: LLAMA_31_8B, modelId: LLAMA_31_8B }, complex: { invokeId: SONNET_4, modelId: SONNET_4 } },
      retry: { ...FAST_RETRY, maxAttempts: 3, attemptsPerModel: 2 },
      features: { chat: { maxInputTokens: 50_000, maxOutputTokens: 1024, maxHintedTier: 'complex' } },
    });
    const longSystem = { ...body, system: proseOfWords(1_500), complexity: 'complex' };

    test('drops the cache points the cheaper model would reject', async () => {
      // Given a cacheable system prompt and a complex model throttled twice
      const { pipeline } = harness(config);
      sim.injectFaults('throttle', 2);

      // When the request falls back to Llama
      const result = await pipeline.handle(longSystem, identity);

      // Then Sonnet was sent a cache point and Llama none, and Llama answered
      expect(sent.map((input) => input.system?.some((block) => 'cachePoint' in block))).toEqual([true, true, false]);
      expect(result.model).toMatchObject({ id: LLAMA_31_8B, tier: 'simple' });
    });

    test("prices the answer at the fallback model's price", async () => {
      const { pipeline } = harness(config);
      sim.injectFaults('throttle', 2);

      const result = await pipeline.handle(longSystem, identity);

      // Llama 3.1 8B: $0.22 per 1M tokens in and out
      const billed = sim.calls[2].usage!;
      expect(result.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, 0.22) + usd(billed.outputTokens, 0.22), 12);
      expect(result.attempts).toBe(3);
    });
  });
});
