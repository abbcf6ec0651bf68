import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ModelCatalog } from '../core';
import { PipelineConfig } from './config';
import { PipelineError } from './errors';
import { capOutputTokens, enforcePromptLimit } from './stages/enforce-limits';
import { estimateRequestTokens } from './stages/estimate-tokens';
import { OPEN_GUARD, RequestGuard } from './stages/guard';
import { invokeWithRetries } from './stages/invoke-model';
import { effectiveCatalog, modelPrice, priceCall } from './stages/price-call';
import { buildPrompt } from './stages/prompt-cache';
import { Recorder } from './stages/record-request';
import { CachedResponse, responseCacheKey, ResponseCacheStore } from './stages/response-cache';
import { routeModel } from './stages/route-model';
import { RequestIdentity, validateRequest } from './stages/validate-request';
import { GenAiRequest, PipelineResult, RouteDecision, TokenEstimate, Usage } from './types';

/** What the pipeline talks to. Everything but Bedrock and the recorder is optional. */
export interface PipelineDependencies {
  readonly bedrock: BedrockRuntimeClient;
  readonly recorder: Recorder;
  /** The response cache; without one, responses are not cached. */
  readonly responseCache?: ResponseCacheStore;
  /** Breakers, rate limits and quotas; without one, every request passes. */
  readonly guard?: RequestGuard;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Where fail-open events are reported (a cache that could not be read, say). */
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
}

/** Per-request options. */
export interface RunOptions {
  /** Epoch milliseconds by which the answer must be back (in Lambda: now + the remaining time). */
  readonly deadlineMs?: number;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };

/**
 * The request pipeline every workflow shares: validate → estimate → limit → cap → guard → route → response cache
 * → prompt cache → invoke → price → record. Composed once per container; one instance serves every request.
 */
export class GenAiPipeline {
  private readonly catalog: ModelCatalog;
  private readonly now: () => number;

  constructor(private readonly config: PipelineConfig, private readonly deps: PipelineDependencies) {
    this.catalog = effectiveCatalog(config);
    this.now = deps.now ?? Date.now;
  }

  /** Validates an untrusted body and runs it. Rejections are recorded and thrown as {@link PipelineError}. */
  async handle(body: unknown, identity: RequestIdentity, options: RunOptions = {}): Promise<PipelineResult> {
    let request: GenAiRequest;
    try {
      request = validateRequest(body, identity, this.config);
    } catch (error) {
      this.recordFailure(error, undefined, this.config.defaultFeature);
      throw error;
    }
    return this.run(request, options);
  }

  /** Runs a validated request. */
  async run(request: GenAiRequest, options: RunOptions = {}): Promise<PipelineResult> {
    const startedAt = this.now();
    try {
      return await this.runStages(request, startedAt, options);
    } catch (error) {
      this.recordFailure(error, request, request.feature);
      throw error;
    }
  }

  private async runStages(request: GenAiRequest, startedAt: number, options: RunOptions): Promise<PipelineResult> {
    const { config, deps } = this;
    const systemPrompt = request.systemPrompt ?? config.defaultSystemPrompt;
    const limits = config.features[request.feature];
    const estimate = estimateRequestTokens(request, systemPrompt);
    enforcePromptLimit(estimate, limits, request.feature);
    const maxTokens = capOutputTokens(request, limits);
    const route = routeModel(request, config, estimate.message);

    const reservation = await (deps.guard ?? OPEN_GUARD).reserve({ request, route, estimatedInputTokens: estimate.total, maxOutputTokens: maxTokens });
    try {
      const cacheKey = config.responseCache && deps.responseCache
        ? responseCacheKey(config.responseCache.namespace, request, systemPrompt, route.modelId, maxTokens)
        : undefined;
      const cached = cacheKey ? await this.readCache(cacheKey) : undefined;
      if (cached) {
        const result = this.cacheHitResult(request, route, cached, estimate, startedAt);
        await reservation.settle({ usage: NO_USAGE, costUsd: 0, cacheHit: true });
        this.deps.recorder.record({ ...this.recordBase(request), status: 200, result });
        return result;
      }

      const outcome = await invokeWithRetries(route, (r) => this.promptFor(r, request, systemPrompt, estimate), maxTokens, config, {
        bedrock: deps.bedrock,
        sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        random: deps.random ?? Math.random,
        now: this.now,
        deadlineMs: options.deadlineMs,
      });
      const { response } = outcome;
      const usage: Usage = {
        inputTokens: response.usage?.inputTokens ?? 0,
        outputTokens: response.usage?.outputTokens ?? 0,
        cacheReadInputTokens: response.usage?.cacheReadInputTokens ?? 0,
        cacheWriteInputTokens: response.usage?.cacheWriteInputTokens ?? 0,
      };
      const cost = priceCall(usage, response.usage?.cacheDetails, outcome.route.modelId, this.catalog, config);
      const answer = (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
      const result: PipelineResult = {
        requestId: request.requestId,
        answer,
        stopReason: response.stopReason ?? 'unknown',
        model: { id: outcome.route.modelId, tier: outcome.route.tier, reasons: outcome.route.reasons },
        usage,
        cost,
        cache: { response: cacheKey ? 'miss' : 'off', prompt: promptCacheOutcome(usage) },
        attempts: outcome.attempts,
        latencyMs: this.now() - startedAt,
        estimatedInputTokens: estimate.total,
      };
      if (cacheKey && isCacheable(result, route)) {
        await this.writeCache(cacheKey, request.tenantId, {
          answer, stopReason: result.stopReason, modelId: result.model.id, tier: result.model.tier, usage, costUsd: cost.totalUsd,
          createdAt: new Date(this.now()).toISOString(),
        });
      }
      await reservation.settle({ usage, costUsd: cost.totalUsd, cacheHit: false });
      this.deps.recorder.record({ ...this.recordBase(request), status: 200, result });
      return result;
    } catch (error) {
      await reservation.release();
      throw error;
    }
  }

  private promptFor(route: RouteDecision, request: GenAiRequest, systemPrompt: string | undefined, estimate: TokenEstimate) {
    const minCacheTokens = this.config.promptCaching ? modelPrice(route.modelId, this.catalog, this.config).price.minCacheTokens : undefined;
    return buildPrompt(request, systemPrompt, estimate, minCacheTokens);
  }

  private cacheHitResult(request: GenAiRequest, route: RouteDecision, cached: CachedResponse, estimate: TokenEstimate, startedAt: number): PipelineResult {
    return {
      requestId: request.requestId,
      answer: cached.answer,
      stopReason: cached.stopReason,
      model: { id: cached.modelId, tier: cached.tier, reasons: [...route.reasons, 'served from the response cache'] },
      usage: NO_USAGE,
      cost: { inputUsd: 0, outputUsd: 0, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: 0, batch: false, priced: 'catalog' },
      cache: { response: 'hit', prompt: 'none', savedUsd: cached.costUsd },
      attempts: 0,
      latencyMs: this.now() - startedAt,
      estimatedInputTokens: estimate.total,
    };
  }

  // The response cache fails open: an unreadable cache is a miss, an unwritable one is skipped; both are reported.
  private async readCache(key: string): Promise<CachedResponse | undefined> {
    try {
      return await this.deps.responseCache!.get(key);
    } catch (error) {
      this.deps.warn?.('response cache read failed; treating as a miss', { error: String(error) });
      return undefined;
    }
  }

  private async writeCache(key: string, tenantId: string, value: CachedResponse): Promise<void> {
    try {
      await this.deps.responseCache!.put(key, tenantId, value, this.config.responseCache!.ttlSeconds);
    } catch (error) {
      this.deps.warn?.('response cache write failed; answer not cached', { error: String(error) });
    }
  }

  private recordBase(request: GenAiRequest | undefined) {
    return {
      application: this.config.application,
      environment: this.config.environment,
      feature: request?.feature ?? this.config.defaultFeature,
      request,
    };
  }

  private recordFailure(error: unknown, request: GenAiRequest | undefined, feature: string): void {
    const status = error instanceof PipelineError ? error.status : 500;
    const errorCode = error instanceof PipelineError ? error.code : 'INTERNAL_ERROR';
    this.deps.recorder.record({ ...this.recordBase(request), feature, status, errorCode });
  }
}

// Only answers the routed model finished (or cut at the cap the key includes) are reused: a fallback model's answer
// or one stopped by a guardrail or content filter is served once, not for the cache's TTL.
function isCacheable(result: PipelineResult, routed: RouteDecision): boolean {
  return result.model.tier === routed.tier && (result.stopReason === 'end_turn' || result.stopReason === 'max_tokens');
}

function promptCacheOutcome(usage: Usage): PipelineResult['cache']['prompt'] {
  const read = usage.cacheReadInputTokens > 0;
  const write = usage.cacheWriteInputTokens > 0;
  return read && write ? 'read-write' : read ? 'read' : write ? 'write' : 'none';
}
