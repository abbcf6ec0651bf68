import { generateAnswer } from './answer';
import { BedrockMessages, inputTooLongError, validationError } from './errors';
import { contextWindowTokens, minimumCacheableTokens, titanEmbeddingModel } from './models';
import { analysePrompt } from './prompt';
import { CacheOutcome, PromptCache } from './prompt-cache';
import { readRequestMetadata } from './request-metadata';
import { countTokens, truncateToTokens } from './tokenizer';
import { SimulatedUsage } from './types';

/** What a Converse call needs from the simulator besides the request. */
export interface ConverseContext {
  /** Base model id the request's modelId resolved to. */
  readonly baseModelId: string;
  /** The simulator's prompt cache. */
  readonly cache: PromptCache;
  /** Latency to report in `metrics.latencyMs`. */
  readonly latencyMs: number;
  /** Answer with no text at all (an empty completion: `end_turn`, no output tokens). */
  readonly emptyAnswer?: boolean;
}

/** A Converse response body and the usage it reports. */
export interface ConverseOutcome {
  /** The JSON body, shaped like Bedrock's ConverseResponse. */
  readonly body: Record<string, unknown>;
  /** The usage, for the call log. */
  readonly usage: SimulatedUsage;
  /** The request's `requestMetadata`, for the call log (as Bedrock writes it into invocation logs). */
  readonly requestMetadata?: Readonly<Record<string, string>>;
}

type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence';

interface InferenceConfig {
  readonly maxTokens?: number;
  readonly stopSequences: ReadonlyArray<string>;
}

function readInferenceConfig(value: unknown): InferenceConfig {
  if (value === undefined || value === null) return { stopSequences: [] };
  if (typeof value !== 'object' || Array.isArray(value)) throw validationError('inferenceConfig must be an object.');
  const config = value as Record<string, unknown>;
  const maxTokens = config.maxTokens;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw validationError('inferenceConfig.maxTokens must be an integer of at least 1.');
  }
  const stops = config.stopSequences ?? [];
  if (!Array.isArray(stops) || !stops.every((s): s is string => typeof s === 'string' && s.length > 0)) {
    throw validationError('inferenceConfig.stopSequences must be a list of non-empty strings.');
  }
  return { maxTokens, stopSequences: stops };
}

function complete(answer: string, config: InferenceConfig): { text: string; outputTokens: number; stopReason: StopReason } {
  let text = answer;
  let stopReason: StopReason = 'end_turn';
  const stopAt = Math.min(...config.stopSequences.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  if (Number.isFinite(stopAt)) {
    text = text.slice(0, stopAt);
    stopReason = 'stop_sequence';
  }
  if (config.maxTokens !== undefined) {
    const cut = truncateToTokens(text, config.maxTokens);
    if (cut.tokens === config.maxTokens && countTokens(text) > config.maxTokens) {
      return { text: cut.text, outputTokens: config.maxTokens, stopReason: 'max_tokens' };
    }
  }
  return { text, outputTokens: countTokens(text), stopReason };
}

const SERVICE_TIER_TYPES: ReadonlyArray<string> = ['default', 'flex', 'priority', 'reserved'];

/** The request's `serviceTier.type`, checked like Bedrock checks it; undefined when none was asked for. */
function readServiceTier(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const type = typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>).type : undefined;
  if (typeof type !== 'string' || !SERVICE_TIER_TYPES.includes(type)) {
    throw validationError(`serviceTier.type must be one of ${SERVICE_TIER_TYPES.join(', ')}.`);
  }
  return type;
}

/**
 * Answers a Converse request: validates it like Bedrock, applies prompt caching, and produces a
 * deterministic answer with Bedrock-shaped usage.
 *
 * @throws BedrockError for requests Bedrock would reject
 */
export function converse(ctx: ConverseContext, request: Record<string, unknown>): ConverseOutcome {
  if (titanEmbeddingModel(ctx.baseModelId)) throw validationError(BedrockMessages.unsupportedOperation);
  const prompt = analysePrompt(request);
  const config = readInferenceConfig(request.inferenceConfig);
  const serviceTier = readServiceTier(request.serviceTier);
  const requestMetadata = readRequestMetadata(request.requestMetadata);
  const minimumTokens = minimumCacheableTokens(ctx.baseModelId);
  if (prompt.cachePoints.length > 0 && minimumTokens === undefined) throw validationError(BedrockMessages.unsupportedCaching);
  if (prompt.totalTokens > contextWindowTokens(ctx.baseModelId)) throw inputTooLongError();

  const { text, outputTokens, stopReason } = complete(ctx.emptyAnswer ? '' : generateAnswer(ctx.baseModelId, prompt.lastUserText), config);
  const cached: CacheOutcome =
    minimumTokens === undefined ? { readTokens: 0, writeTokens: 0, details: [] } : ctx.cache.apply(ctx.baseModelId, prompt.cachePoints, minimumTokens);

  const usage: SimulatedUsage = {
    inputTokens: prompt.totalTokens - cached.readTokens - cached.writeTokens,
    outputTokens,
    totalTokens: prompt.totalTokens + outputTokens,
    cacheReadInputTokens: cached.readTokens,
    cacheWriteInputTokens: cached.writeTokens,
  };
  // Models without prompt caching leave the cache fields out entirely, as Bedrock does.
  const wireUsage: Record<string, unknown> =
    minimumTokens === undefined
      ? { inputTokens: usage.inputTokens, outputTokens, totalTokens: usage.totalTokens }
      : { ...usage, ...(cached.details.length > 0 ? { cacheDetails: cached.details } : {}) };

  return {
    body: {
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason,
      usage: wireUsage,
      metrics: { latencyMs: ctx.latencyMs },
      // Bedrock reports the tier that served the call; the simulator serves every call in the tier asked for.
      ...(serviceTier !== undefined ? { serviceTier: { type: serviceTier } } : {}),
    },
    usage,
    ...(requestMetadata ? { requestMetadata } : {}),
  };
}
