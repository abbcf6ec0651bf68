import type { DeferredReceipt, ServiceTierName } from '../../shared/contract';
import type { CostBreakdown, ModelTier } from '../../shared/core';
import type { LimitStatus } from './guards/spend-guard';
import type { Degradation } from './stages/near-limit';

/** One turn of the conversation so far. */
export interface HistoryTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** Hints a caller may give; the pipeline may use them but never to raise a limit. */
export interface RequestHints {
  readonly complexity?: ModelTier;
  /** Lowers the output cap for this request; never raises it. */
  readonly maxOutputTokens?: number;
}

/** A GenAI request after validation. Every workflow handler adapts its event into one of these. */
export interface GenAiRequest {
  readonly requestId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  /** The agent run the call belongs to (run limits), and the run's parent on its first call. */
  readonly runId?: string;
  readonly parentRunId?: string;
  readonly systemPrompt?: string;
  /** Knowledge-base / RAG context, sent after the system prompt as part of the stable prefix. */
  readonly context?: string;
  readonly history: ReadonlyArray<HistoryTurn>;
  readonly message: string;
  readonly hints: RequestHints;
}

/** Tokens per part of the prompt. */
export interface TokenParts {
  readonly system: number;
  readonly context: number;
  readonly history: number;
  readonly message: number;
  readonly total: number;
}

/**
 * Token figures per part of the prompt. The parts and `total` are the central estimate (display, routing, cost
 * prediction, cache-point placement); `bound` is an upper bound that the real count never exceeds (limits).
 */
export interface TokenEstimate extends TokenParts {
  readonly bound: TokenParts;
  /** UTF-16 code units of the whole prompt, checked against `MAX_PROMPT_CHARS` before any token figure. */
  readonly chars: number;
}

/** Which model a request goes to, and why. */
export interface RouteDecision {
  readonly tier: ModelTier;
  /** What the runtime calls: an application inference profile ARN in AWS, a model id locally. */
  readonly invokeId: string;
  /** The base model id, for prices and metrics. */
  readonly modelId: string;
  readonly reasons: ReadonlyArray<string>;
}

/** Token usage as Bedrock reports it (input excludes cache reads and writes). */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** No tokens at all: a refused request, a cache hit, the base of an embedding's input-only usage. */
export const NO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });

/** The outcome of a request, returned by the API and recorded as one metric record. */
export interface PipelineResult {
  readonly requestId: string;
  readonly answer: string;
  readonly stopReason: string;
  readonly model: { readonly id: string; readonly tier: ModelTier; readonly reasons: ReadonlyArray<string> };
  readonly usage: Usage;
  readonly cost: CostBreakdown & { readonly priced: 'catalog' | 'fallback' };
  readonly cache: {
    readonly response: 'hit' | 'miss' | 'off';
    readonly prompt: 'read' | 'write' | 'read-write' | 'none';
    /** On a response-cache hit: what the original call cost, now saved. */
    readonly savedUsd?: number;
  };
  readonly attempts: number;
  readonly latencyMs: number;
  /** The central estimate of the input tokens, before the call. */
  readonly estimatedInputTokens: number;
  /** The upper bound of the input tokens the limit and the reservation used. */
  readonly inputTokenBound: number;
  /** The service tier Bedrock reports having served the call in (what it was priced in); absent on a cache hit. */
  readonly serviceTier?: ServiceTierName;
  /** The tightest usage limit after this request, when a guard reports one (the API's `x-ratelimit-*` headers). */
  readonly limits?: LimitStatus;
  /** The feature's `nearLimit` policy changed the answer: how, and which limit (the `x-genai-degraded` header). */
  readonly degraded?: Degradation;
  /** A `defer` policy accepted the work for later: where its result will be (the API answers 202). */
  readonly deferred?: DeferredReceipt;
}

/** A validated `POST /embed` request. */
export interface EmbedRequest {
  readonly requestId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly feature: string;
  readonly texts: ReadonlyArray<string>;
}

/** The vectors for a batch of texts, and what embedding the missing ones cost. */
export interface EmbedResult {
  readonly requestId: string;
  readonly vectors: number[][];
  readonly inputTokens: number;
  readonly costUsd: number;
  /** Texts served from the tenant's own cache entries and embedded now (metrics; the API answer has the cost). */
  readonly hits: number;
  readonly misses: number;
}
