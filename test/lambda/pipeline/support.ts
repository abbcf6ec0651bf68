import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { FeatureLimits, normalizeConfig, PipelineConfig, RetryConfig } from '../../../lambda/pipeline/config';
import { PipelineError } from '../../../lambda/pipeline/errors';
import { CachedResponse, ResponseCacheStore } from '../../../lambda/pipeline/stages/response-cache';
import { SpendRecord } from '../../../lambda/pipeline/stages/record-request';
import { GenAiRequest, PipelineResult, TokenEstimate, TokenParts } from '../../../lambda/pipeline/types';
import { BedrockSimulator, countTokens, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';

/** Base model ids of the default routing tiers (lambda/core/model-catalog.ts DEFAULT_TIER_MODELS). */
export const HAIKU_45 = 'anthropic.claude-haiku-4-5-20251001-v1:0';
export const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
export const OPUS_45 = 'anthropic.claude-opus-4-5-20251101-v1:0';
/** Caches from 1,024 tokens in both the catalog and the simulator; $3 / $15, read $0.30, 5m write $3.75. */
export const SONNET_4 = 'anthropic.claude-sonnet-4-20250514-v1:0';
/** No prompt caching in the catalog: $0.22 / $0.22. */
export const LLAMA_31_8B = 'meta.llama3-1-8b-instruct-v1:0';

/**
 * The three tiers invoked through `global.` profiles: the catalog's global prices apply (no regional premium), so
 * Haiku 4.5 is $1 / $5, Sonnet 4.5 $3 / $15, Opus 4.5 $5 / $25 per 1M tokens.
 */
export const GLOBAL_TIERS = {
  simple: { invokeId: `global.${HAIKU_45}`, modelId: `global.${HAIKU_45}` },
  medium: { invokeId: `global.${SONNET_45}`, modelId: `global.${SONNET_45}` },
  complex: { invokeId: `global.${OPUS_45}`, modelId: `global.${OPUS_45}` },
} as const;

/** The runtime's default retry settings (config.ts DEFAULT_RETRY); stage tests inject `sleep`, so nothing really waits. */
export const FAST_RETRY: RetryConfig = { maxAttempts: 4, attemptsPerModel: 2, baseDelayMs: 200, maxDelayMs: 2_000, fallbackUpward: false };

export const CHAT_LIMITS: FeatureLimits = { maxInputTokens: 50_000, maxOutputTokens: 1024 };

/** A pipeline configuration like the API workflow's, with the three global tiers. */
export function testConfig(overrides: Partial<Parameters<typeof normalizeConfig>[0]> = {}): PipelineConfig {
  return normalizeConfig({
    application: 'support',
    environment: 'test',
    defaultFeature: 'chat',
    features: { chat: CHAT_LIMITS },
    tiers: GLOBAL_TIERS,
    retry: FAST_RETRY,
    tags: { Application: 'support', Environment: 'test', Feature: 'chat' },
    ...overrides,
  });
}

/** A validated request with sensible defaults. */
export function testRequest(overrides: Partial<GenAiRequest> = {}): GenAiRequest {
  return {
    requestId: 'req-1',
    tenantId: 'customer-123',
    userId: 'user-42',
    feature: 'chat',
    history: [],
    message: 'How do I reset my password?',
    hints: {},
    ...overrides,
  };
}

type Parts = Partial<Omit<TokenParts, 'total'>>;

function partsOf(parts: Parts): TokenParts {
  const system = parts.system ?? 0;
  const context = parts.context ?? 0;
  const history = parts.history ?? 0;
  const message = parts.message ?? 0;
  return { system, context, history, message, total: system + context + history + message };
}

/**
 * A token estimate from its parts; each total is the sum of its parts, as the estimate stage makes it. The bound
 * equals the estimate unless given, and the prompt is as many characters as `chars` says (default: 4 per token).
 */
export function estimateOf(parts: Parts, bound?: Parts, chars?: number): TokenEstimate {
  const estimate = partsOf(parts);
  return { ...estimate, bound: partsOf(bound ?? parts), chars: chars ?? estimate.total * 4 };
}

/** A Bedrock Runtime client for the simulator, built like lambda/runtime/clients.ts builds it: no SDK retries. */
export function simulatorClient(sim: BedrockSimulator): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sim.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Runs `fn` and returns the PipelineError it throws; fails the test when it throws anything else or nothing. */
export async function pipelineErrorOf(fn: () => unknown): Promise<PipelineError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw new Error(`expected a PipelineError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a PipelineError, nothing was thrown');
}

/** The PipelineError synchronous `fn` throws; anything else it throws fails the test as it is, and so does nothing. */
export function pipelineErrorThrownBy(fn: () => unknown): PipelineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected a PipelineError, nothing was thrown');
}

const FOUR_LETTER_WORDS = [
  'alfa', 'bank', 'cord', 'dune', 'echo', 'fern', 'gale', 'hive', 'iris', 'jade', 'kite', 'lime', 'moss', 'nest', 'opal', 'pine',
  'rock', 'sand', 'tree', 'wind', 'blue', 'gold', 'lake', 'hill', 'road', 'farm', 'ship', 'rain', 'snow', 'star', 'moon', 'fire',
];
/**
 * Words of four letters that the simulator's tokenizer counts as one token, first or after a space: it counts each
 * space-led word on its own, so `n` of them joined by spaces are exactly `n` tokens.
 */
const WORDS = FOUR_LETTER_WORDS.filter((w) => countTokens(w) === 1 && countTokens(` ${w}`) === 1).slice(0, 16);

/** Prose of `words` four-letter words: `words` simulator tokens, `ceil((5 * words - 1) / 3.5)` estimated tokens. */
export function proseOfWords(words: number, variant = 0): string {
  return Array.from({ length: words }, (_, i) => WORDS[(i * 7 + variant) % WORDS.length]).join(' ');
}

/** A response cache in memory, counting reads and writes. */
export class MemoryResponseCache implements ResponseCacheStore {
  public readonly items = new Map<string, { tenantId: string; value: CachedResponse; ttlSeconds: number }>();
  public gets = 0;

  async get(key: string): Promise<CachedResponse | undefined> {
    this.gets++;
    return this.items.get(key)?.value;
  }

  async put(key: string, tenantId: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    this.items.set(key, { tenantId, value, ttlSeconds });
  }
}

/** USD for `tokens` at `usdPerMillion` (the catalog's unit). */
export function usd(tokens: number, usdPerMillion: number): number {
  return (tokens * usdPerMillion) / 1_000_000;
}

/** Lines written to stdout while `fn` runs (Powertools Metrics writes its EMF records there), kept off the terminal. */
export async function stdoutLinesOf(fn: () => unknown): Promise<string[]> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('').split('\n').filter((line) => line.trim() !== '');
}

/** The EMF records (JSON objects with `_aws`) among stdout lines. */
export function emfRecords(lines: ReadonlyArray<string>): Array<Record<string, any>> {
  return lines.flatMap((line) => {
    try {
      const value = JSON.parse(line);
      return value && typeof value === 'object' && '_aws' in value ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** A result as the pipeline returns it for a short Haiku 4.5 answer through the US profile, for recorder tests. */
export function sampleResult(overrides: Partial<PipelineResult> = {}): PipelineResult {
  return {
    requestId: 'req-1',
    answer: 'Use the "Forgot password" link.',
    stopReason: 'end_turn',
    model: { id: `us.${HAIKU_45}`, tier: 'simple', reasons: ['short FAQ-like question'] },
    usage: { inputTokens: 120, outputTokens: 9, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    cost: { inputUsd: 0.000132, outputUsd: 0.0000495, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: 0.0001815, batch: false, priced: 'catalog' },
    cache: { response: 'miss', prompt: 'none' },
    attempts: 1,
    latencyMs: 321,
    estimatedInputTokens: 130,
    inputTokenBound: 150,
    ...overrides,
  };
}

/** The record the pipeline writes for a Converse result (what the recorder tests feed the recorder). */
export function sampleRecord(result: PipelineResult = sampleResult(), overrides: Partial<SpendRecord> = {}): SpendRecord {
  return {
    application: 'support', environment: 'test', feature: 'chat', path: 'converse', status: 200,
    requestId: result.requestId, tenantId: 'iam:customer-123', userId: 'user-42',
    modelId: result.model.id, usage: result.usage, costUsd: result.cost.totalUsd, priced: result.cost.priced,
    latencyMs: result.latencyMs, attempts: result.attempts, route: { tier: result.model.tier, reasons: result.model.reasons },
    responseCache: result.cache.response, savedUsd: result.cache.savedUsd, promptCache: result.cache.prompt,
    inputTokenBound: result.inputTokenBound,
    ...overrides,
  };
}

/** The Bedrock simulator of a test file (or describe block), and a runtime client pointed at it. */
export interface TestBedrock {
  readonly sim: BedrockSimulator;
  readonly client: BedrockRuntimeClient;
}

/**
 * Starts the Bedrock simulator before the tests of the enclosing block and closes it after them (a file resets it
 * between tests itself, when it needs to). Read the fields inside hooks and tests.
 */
export function useBedrockSimulator(): TestBedrock {
  let sim: BedrockSimulator | undefined;
  let client: BedrockRuntimeClient | undefined;
  beforeAll(async () => {
    sim = await startBedrockSimulator();
    client = simulatorClient(sim);
  });
  afterAll(async () => {
    client?.destroy();
    await sim?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the Bedrock simulator is not started yet: use it inside a hook or a test.');
    return value;
  };
  return {
    get sim() {
      return started(sim);
    },
    get client() {
      return started(client);
    },
  };
}
