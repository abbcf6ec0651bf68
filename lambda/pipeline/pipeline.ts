import type { BedrockRuntimeClient, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import type { DeferredReceipt, ServiceTierName, SpendPath, StoredReservation } from '../../shared/contract';
import { attoToUsd, baseModelId, ModelCatalog } from '../../shared/core';
import { Answer, AnswerHead, AnswerSink } from './answer';
import { PipelineConfig } from './config';
import { EmbeddedTexts, EmbeddingCache } from './embedding-cache';
import { PipelineError } from './errors';
import { NO_SPEND, SpendAmount, SpendContext, SpendGuard } from './guards';
import { billedAmount, limitsAfterSettlement, restoreReservation, SpendPort, spendUpperBound, storeReservation } from './spend';
import { countTokensFor } from './stages/count-tokens';
import { askCounter, capOutputTokens, checkPromptLimit, countUnavailable } from './stages/enforce-limits';
import { estimateRequestTokens, floorRequestTokens } from './stages/estimate-tokens';
import { invokeWithRetries, mayHaveBilled } from './stages/invoke-model';
import { streamWithRetries } from './stages/invoke-model-stream';
import { StreamProgress } from './stream-progress';
import { requestMetadataFor } from './request-metadata';
import { effectiveCatalog, modelPrice, priceCallExact, reservationPrice, servedTier } from './stages/price-call';
import { buildPrompt } from './stages/prompt-cache';
import { Recorder, SpendRecord } from './stages/record-request';
import { CachedResponse, responseCacheKey, ResponseCacheStore } from './stages/response-cache';
import { capRoute, fallbackTiers, routeModel } from './stages/route-model';
import { afterRetry, cacheOnlyRefusal, cheaperRoute, Degradation, deferUnavailableRefusal, limitName, NearLimit, nearLimitOf, nearLimitOutcome, refusedLimitOf } from './stages/near-limit';
import type { Reservation } from './guards/guard-chain';
import { RequestIdentity, validateEmbedRequest, validateRequest } from './stages/validate-request';
import { EmbedResult, GenAiRequest, NO_USAGE, PipelineResult, RouteDecision, TokenEstimate, Usage } from './types';

/** What the pipeline talks to. Everything but Bedrock and the recorder is optional. */
export interface PipelineDependencies {
  readonly bedrock: BedrockRuntimeClient;
  readonly recorder: Recorder;
  /** The response cache; without one, responses are not cached. */
  readonly responseCache?: ResponseCacheStore;
  /** The embedding cache behind `embed`; without one, `embed` answers 404. */
  readonly embeddingCache?: EmbeddingCache;
  /** Breakers, rate limits, quotas and budgets, in order; without any, every request passes. */
  readonly guards?: ReadonlyArray<SpendGuard>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Where fail-open events are reported (a cache that could not be read, a guard that could not settle). */
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * Where a feature whose `nearLimit` policy is `defer` leaves the work it accepts near its limit (the API's
   * deferred records). Without one, such a call is refused (429) like the limit would refuse it.
   */
  readonly deferral?: Deferral;
}

/** Accepts a call for later: the receipt says where its result will be. */
export interface Deferral {
  /**
   * Keeps the call, with its reservation, for the scheduled run. `written` is false when the same request was
   * accepted before (a retry): its first record, and the reservation that record carries, stand.
   * @param degradedBy the limit that was near and its used share (`tenant/month/costUsd; used=0.83`)
   * @param reservation the call's spend, reserved on path `batch` (a long-lived hold), for the run to settle
   */
  defer(request: GenAiRequest, degradedBy: string, reservation: StoredReservation): Promise<{ readonly receipt: DeferredReceipt; readonly written: boolean }>;
}

/** An embedding call's usage and its exact price. */
interface PricedEmbedding {
  readonly usage: Usage;
  readonly cost: PipelineResult['cost'];
  readonly totalAtto: bigint;
}

/** Per-request options. */
export interface RunOptions {
  /** Epoch milliseconds by which the answer must be back (in Lambda: now + the remaining time). */
  readonly deadlineMs?: number;
  /**
   * A reservation taken earlier for this call (a deferred record's, taken when the API accepted it): the call is
   * not reserved again and the usage ledger does not count its request again (the API did); only the other guards
   * admit it (a paused feature still refuses). A cache hit settles it to nothing, a model call to what was billed, a
   * call that may have been billed without an answer to its bound, always on path `batch` under its own identity. A
   * refusal or a failure that billed nothing leaves it held: the caller gives it back (a refused record) or a retry
   * runs under it.
   */
  readonly reservation?: StoredReservation;
}


/**
 * The request pipeline every workflow shares: validate → estimate → route → limit → cap → admit → response cache →
 * (on a miss) reserve → prompt cache → invoke → price → settle → record. Composed once per container; one instance
 * serves every request. Embeddings take the same admit → reserve → settle → record path through {@link embed}.
 */
export class GenAiPipeline {
  /** The spend port every model call of this pipeline passes; the batch path uses it too. */
  readonly spend: SpendPort;
  readonly catalog: ModelCatalog;
  private readonly now: () => number;

  constructor(readonly config: PipelineConfig, private readonly deps: PipelineDependencies) {
    this.catalog = effectiveCatalog(config);
    this.now = deps.now ?? Date.now;
    this.spend = new SpendPort(deps.guards ?? [], deps.warn);
  }

  /** Validates an untrusted body and runs it. Rejections are recorded and thrown as {@link PipelineError}. */
  async handle(body: unknown, identity: RequestIdentity, options: RunOptions = {}): Promise<PipelineResult> {
    const answer = await this.handleAnswer(body, identity, options);
    await answer.finish();
    return answer.result;
  }

  /** Runs a validated request: the answer, then its settlement, cache write and record, before it returns. */
  async run(request: GenAiRequest, options: RunOptions = {}): Promise<PipelineResult> {
    const answer = await this.answer(request, options);
    await answer.finish();
    return answer.result;
  }

  /**
   * The answer to a validated request, with its settlement, cache write and record left to {@link Answer.finish}:
   * the seam where the API hands the answer over before the ledger is settled. With a `sink`, the answer is streamed
   * (ConverseStream) into it as it comes; a cache hit is streamed from the cache.
   *
   * A client that leaves mid-answer (`sink.clientGone`) is no longer written to, but the model stream is read to its
   * end: Bedrock reports the usage only in the stream's last event, so a stream stopped early could only be settled
   * at the reservation's whole bound (over-counting the budget) and its answer could not be cached. The output cap
   * bounds what finishing costs; the function runs on meanwhile.
   */
  async answer(request: GenAiRequest, options: RunOptions = {}, sink?: AnswerSink): Promise<Answer> {
    const startedAt = this.now();
    try {
      return await this.answerStages(request, startedAt, options, sink);
    } catch (error) {
      this.recordRejection(error, 'converse', request, request.feature);
      throw error;
    }
  }

  /** Validates an untrusted body, then {@link answer}. Rejections are recorded and thrown as {@link PipelineError}. */
  async handleAnswer(body: unknown, identity: RequestIdentity, options: RunOptions = {}, sink?: AnswerSink): Promise<Answer> {
    let request: GenAiRequest;
    try {
      request = validateRequest(body, identity, this.config);
    } catch (error) {
      this.recordRejection(error, 'converse', identity);
      throw error;
    }
    return this.answer(request, options, sink);
  }

  /**
   * `POST /embed`: vectors for `texts`, cached ones read first; the missing ones are embedded through the spend
   * port (admitted, reserved, settled) and recorded as one record.
   */
  async embed(body: unknown, identity: RequestIdentity): Promise<EmbedResult> {
    const startedAt = this.now();
    let feature = this.config.defaultFeature;
    let context: SpendContext | undefined;
    try {
      const cache = this.deps.embeddingCache;
      if (!cache) throw new PipelineError(404, 'NOT_FOUND', 'This workflow has no embedding cache.');
      const request = validateEmbedRequest(body, identity, this.config);
      feature = request.feature;
      context = { ...request, path: 'embedding', nowMs: startedAt };
      await this.spend.admit(context);
      const lookup = await cache.lookup(request.tenantId, request.texts);
      let embedded: EmbeddedTexts | undefined;
      let priced: PricedEmbedding | undefined;
      let settleFailures = 0;
      if (lookup.missing.length > 0) {
        const outcome = await this.spend.spend(context, {
          estimate: spendUpperBound({
            inputTokens: lookup.missing.reduce((sum, m) => sum + m.boundTokens, 0), cacheablePrefixTokens: 0, maxOutputTokens: 0,
            prices: [reservationPrice(cache.modelId, this.catalog, this.config, 'standard')],
          }),
          invoke: async () => {
            const texts = await cache.embedMissing(lookup, this.requestMetadataOf(request, feature));
            return { texts, ...this.priceEmbedding(cache.modelId, texts.inputTokens) };
          },
          billed: ({ usage, totalAtto }) => billedAmount(usage, totalAtto),
          alongside: ({ texts }) => cache.store(lookup, texts.vectors),
        });
        embedded = outcome.value.texts;
        priced = outcome.value;
        settleFailures = outcome.settleFailures;
      }
      const { usage, cost } = priced ?? this.priceEmbedding(cache.modelId, 0);
      const result: EmbedResult = {
        requestId: request.requestId, vectors: cache.vectorsOf(lookup, embedded), inputTokens: usage.inputTokens, costUsd: cost.totalUsd,
        hits: lookup.hits, misses: lookup.missing.length,
      };
      this.deps.recorder.record({
        ...this.recordBase(context, feature), path: 'embedding', status: 200, modelId: cache.modelId, usage,
        costUsd: cost.totalUsd, priced: cost.priced, latencyMs: this.now() - startedAt, attempts: lookup.missing.length,
        embeddingCache: { hits: lookup.hits, misses: lookup.missing.length }, settleFailures,
      });
      return result;
    } catch (error) {
      this.recordRejection(error, 'embedding', context ?? identity, feature);
      throw error;
    }
  }

  private async answerStages(request: GenAiRequest, startedAt: number, options: RunOptions, sink: AnswerSink | undefined): Promise<Answer> {
    const { config, deps } = this;
    const systemPrompt = request.systemPrompt ?? config.defaultSystemPrompt;
    const limits = config.features[request.feature];
    const estimate = estimateRequestTokens(request, systemPrompt);
    const routed = routeModel(request, config, estimate.bound.message);
    // Between the lower and upper bounds, Bedrock's free CountTokens for the routed model decides; its count is then
    // what the reservation uses. CountTokens takes the foundation model, not a profile: the base id is counted (in
    // the function's Region, where its role may count it).
    const count = () => countTokensFor(deps.bedrock, baseModelId(routed.modelId), buildPrompt(request, systemPrompt, estimate, undefined));
    const counted = await checkPromptLimit(estimate, limits, request.feature, { floor: () => floorRequestTokens(request, systemPrompt), count });
    const inputBound = counted ?? estimate.bound.total;
    const maxTokens = capOutputTokens(request, limits);
    // The ledger bounds its confirmations and settlement by the request's deadline, so it never outlives the function.
    const context: SpendContext = { ...request, path: 'converse', nowMs: startedAt, ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}) };
    // A call reserved before (a deferred record's) is settled on its stored hold, under the identity it was taken with.
    const stored = options.reservation ? restoreReservation(options.reservation, startedAt) : undefined;
    const settleContext = stored?.context ?? context;

    // Breakers and request-rate limits, before the cache: a hit is free but still a request. A guard may cap the
    // tier (a breaker downgrading the feature); a capped call then never falls back above the cap. The spend stays
    // pending until the cache says hit or miss.
    const pending = stored ? await this.spend.reserved(context, stored.context, stored.reservation) : await this.spend.pending(context);
    const route = capRoute(routed, pending.admitted.maxTier, config, pending.admitted.reason);
    const cacheKey = config.responseCache && deps.responseCache
      ? responseCacheKey(config.responseCache.namespace, request, systemPrompt, route.modelId, maxTokens)
      : undefined;
    const requestedTier = limits.serviceTier ?? 'standard';
    const bound = this.spend.governed ? this.converseUpperBound(route, estimate, inputBound, maxTokens, requestedTier) : NO_SPEND;
    pending.bound(bound);
    const cached = cacheKey ? await this.readCache(cacheKey) : undefined;
    if (cached) {
      const { limits: usageLimits, settle } = await pending.hitThenSettle();
      const result = { ...this.cacheHitResult(request, route, cached, estimate, inputBound, startedAt), ...(usageLimits ? { limits: usageLimits } : {}) };
      const streamed = sink ? new StreamProgress(sink) : undefined;
      await streamed?.deliver(result.answer, () => ({ requestId: request.requestId, model: { id: result.model.id, tier: result.model.tier }, cache: 'hit', ...(usageLimits ? { limits: usageLimits } : {}) }));
      return {
        result,
        finish: once(async () => {
          const settleFailures = await settle();
          this.deps.recorder.record({
            ...this.recordOf(request, result, settleFailures, maxTokens),
            ...(streamed ? { stream: { outcome: streamed.outcome(undefined), deltasSent: streamed.deltasSent } } : {}),
          });
          // The early reservation (the whole bound) was given back: the limits after the settlement count none of it.
          return { costUsd: 0, estimated: false, settleFailures, ...(usageLimits ? { limits: limitsAfterSettlement(usageLimits, bound, NO_SPEND) } : {}) };
        }),
      };
    }
    // Reserved on the bound, a prompt may be refused by a token or USD limit it fits on its real size (the bound is up
    // to 3× the count on Cyrillic prose): then CountTokens (free) is asked once and the call reserved on the count.
    // Not when even the prompt's lower bound cannot fit what the limit has left: the refusal stands, nothing asked.
    let reservedInput = inputBound;
    const recount = counted !== undefined ? undefined : async (refusal: unknown): Promise<SpendAmount | undefined> => {
      const least = this.converseUpperBound(route, estimate, floorRequestTokens(request, systemPrompt), maxTokens, requestedTier);
      if (!mayFit(refusal, least)) return undefined;
      // Counted for the model the call goes to first (a breaker may have capped the routed tier).
      const recounted = await askCounter(route === routed ? count : () => countTokensFor(deps.bedrock, baseModelId(route.modelId), buildPrompt(request, systemPrompt, estimate, undefined)));
      if (recounted.kind === 'unavailable') throw countUnavailable(recounted.reason, limits, request.feature);
      if (recounted.kind !== 'counted' || recounted.inputTokens >= inputBound) return undefined;
      reservedInput = recounted.inputTokens;
      return this.converseUpperBound(route, estimate, recounted.inputTokens, maxTokens, requestedTier);
    };
    // At the limit, a `cheaperTier` policy that degrades there reserves once more on the cheaper route's bound (on the
    // counted prompt when the count ran first): the one retry `miss` allows.
    const policy = limits.nearLimit;
    let pastLimit: { readonly near: NearLimit; readonly route: RouteDecision } | undefined;
    const smaller = async (refusal: unknown): Promise<SpendAmount | undefined> => {
      const recounted = await recount?.(refusal);
      // The prompt fits on its counted size: the call goes as routed, not degraded.
      if (recounted && mayFit(refusal, recounted)) return recounted;
      // A cheaper model needs as many tokens: only a USD limit may fit it.
      const near = policy?.action === 'cheaperTier' ? refusedLimitOf(policy, refusal) : undefined;
      const cheaper = near && policy && near.status.measure === 'costUsd' ? cheaperRoute(route, policy, config, near) : route;
      if (!near || cheaper === route) return recounted;
      pastLimit = { near, route: cheaper };
      // On the prompt's upper bound, which holds for any model's tokenizer: the count was the routed model's.
      reservedInput = inputBound;
      return this.converseUpperBound(cheaper, estimate, inputBound, maxTokens, requestedTier, NO_UPWARD_FALLBACK);
    };
    let reservation: Reservation;
    try {
      reservation = await pending.miss(recount || policy?.action === 'cheaperTier' ? smaller : undefined);
    } catch (error) {
      const refused = refusedLimitOf(policy, error);
      if (refused && policy?.action === 'cacheOnly') throw cacheOnlyRefusal(refused, this.now(), request.feature);
      if (refused && policy?.action === 'defer') {
        const held = this.spend.governed ? this.converseUpperBound(route, estimate, reservedInput, maxTokens, requestedTier) : NO_SPEND;
        return this.deferredAnswer(request, refused, route, estimate, reservedInput, maxTokens, startedAt, context, held);
      }
      throw reservedInput === inputBound ? error : withCountedInput(error, reservedInput);
    }

    // Near a token or USD limit (or past it, reserved again on a cheaper route), the feature's policy degrades the call.
    const spendStatus = this.spend.spendStatusOf(reservation);
    // A stored reservation was taken under its policy already (the API's): it is not degraded twice.
    const near = stored ? undefined : pastLimit ? afterRetry(pastLimit.near, spendStatus) : nearLimitOf(policy, spendStatus);
    const outcome = nearLimitOutcome(policy, near, route, requestedTier, config, this.catalog, pastLimit?.route);
    if (outcome.kind !== 'call') {
      // Cache only and defer make no model call: the reservation goes back whole, nothing is charged.
      await this.spend.settle(context, reservation, NO_SPEND);
      if (outcome.kind === 'cacheOnly') throw cacheOnlyRefusal(outcome.near, this.now(), request.feature);
      return this.deferredAnswer(request, outcome.near, route, estimate, reservedInput, maxTokens, startedAt, context, reservation.estimate);
    }
    const { route: callRoute, serviceTier: callTier, degraded } = outcome;
    const callConfig = callRoute === routed ? config : { ...config, retry: { ...config.retry, fallbackUpward: false } };

    const invokeDeps = {
      bedrock: deps.bedrock,
      sleep: deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      random: deps.random ?? Math.random,
      now: this.now,
      deadlineMs: options.deadlineMs,
    };
    const promptFor = (r: RouteDecision) => this.promptFor(r, request, systemPrompt, estimate);
    const metadata = this.requestMetadataOf(request, request.feature);
    const streamed = sink ? new StreamProgress(sink) : undefined;
    const spent = await this.spend.spendThenSettle(settleContext, {
      estimate: reservation.estimate,
      reservation,
      invoke: async (): Promise<ModelAnswer> => {
        if (!sink || !streamed) {
          const called = await invokeWithRetries(callRoute, promptFor, maxTokens, callConfig, invokeDeps, callTier, metadata);
          return this.priced({
            route: called.route, attempts: called.attempts, answer: answerOf(called.response), stopReason: called.response.stopReason,
            usage: called.response.usage, serviceTier: called.response.serviceTier?.type, reported: true,
          }, callTier);
        }
        const limitsNow = this.spend.statusOf(reservation);
        const head = (answering: RouteDecision): AnswerHead => ({
          requestId: request.requestId, model: { id: answering.modelId, tier: answering.tier }, cache: cacheKey ? 'miss' : 'off',
          ...(limitsNow ? { limits: limitsNow } : {}),
          ...(degraded ? { degraded } : {}),
        });
        const called = await streamWithRetries(callRoute, promptFor, maxTokens, callConfig, invokeDeps, callTier, metadata,
          (text, answering) => streamed.deliver(text, () => head(answering)));
        // Failed before any text was sent: nothing was answered yet, so the client gets an ordinary error, and the
        // call is settled at its bound (once open, the stream may have been billed).
        if (called.failure && !streamed.started) throw called.failure;
        try {
          // Completed without a delta (an empty completion): the head still goes out, before `done`.
          await streamed.open(() => head(called.route));
          return this.priced({ ...called, answer: called.text, reported: called.usage !== undefined }, callTier);
        } catch (error) {
          // The model ran (and may have billed) but the answer cannot be priced or sent (a defect, say): settled at
          // the bound like a call cut off mid-way, never at nothing, and recorded as estimated.
          throw asCutOffMidCall(error);
        }
      },
      // A streamed call that failed before Bedrock reported its usage is settled to what was reserved for it: the
      // most it could have cost, never less.
      billed: ({ usage, costAtto, reported }, reserved) => (reported ? billedAmount(usage, costAtto) : reserved),
      // A call cut off at the deadline may have been billed by Bedrock: count it as the most it could have cost. A
      // deadline met between attempts (all throttled, say) billed nothing: its reservation goes back, unless it was
      // stored (a deferred record's), which stays held for the run's retry or the caller to give back.
      billedOnError: (error, reserved) => (mayHaveBilled(error) ? reserved : stored ? undefined : NO_SPEND),
      alongside: async (called) => {
        if (!cacheKey || called.failure || !isCacheable(called.route.tier, called.stopReason, route)) return;
        await this.writeCache(cacheKey, request.tenantId, {
          answer: called.answer, stopReason: called.stopReason, modelId: called.route.modelId,
          tier: called.route.tier, usage: called.usage, costUsd: called.cost.totalUsd, createdAt: new Date(this.now()).toISOString(),
        });
      },
    });
    const called = spent.value;
    const estimated = !called.reported;
    const cost = estimated ? boundCost(spent.reserved) : called.cost;
    const result: PipelineResult = {
      requestId: request.requestId,
      answer: called.answer,
      stopReason: called.stopReason,
      model: { id: called.route.modelId, tier: called.route.tier, reasons: called.route.reasons },
      usage: called.usage,
      cost,
      cache: { response: cacheKey ? 'miss' : 'off', prompt: promptCacheOutcome(called.usage) },
      attempts: called.attempts,
      latencyMs: this.now() - startedAt,
      estimatedInputTokens: estimate.total,
      inputTokenBound: reservedInput,
      serviceTier: called.serviceTier,
      ...(spent.limits ? { limits: spent.limits } : {}),
      ...(degraded ? { degraded } : {}),
    };
    return {
      result,
      ...(called.failure ? { failure: called.failure } : {}),
      finish: once(async () => {
        const settleFailures = await spent.settle();
        this.deps.recorder.record({
          ...this.recordOf(request, result, settleFailures, maxTokens),
          ...(called.failure ? { errorCode: called.failure.code } : {}),
          ...(estimated ? { estimated: true } : {}),
          ...(streamed ? { stream: { outcome: streamed.outcome(called.failure), deltasSent: streamed.deltasSent } } : {}),
        });
        return {
          costUsd: cost.totalUsd, estimated, settleFailures,
          ...(spent.limits ? { limits: limitsAfterSettlement(spent.limits, spent.reserved, spent.billed) } : {}),
        };
      }),
    };
  }

  /**
   * A call a `defer` policy accepts near (or at) its limit. A 202 is a promise the budget must keep, so the call's
   * spend (`amount`, its converse reservation's, which was given back or refused) is reserved again as a long-lived
   * hold (path `batch`: kept in the usage ledger for `batchHoldSeconds`, 8 days by default, then swept at its bound)
   * and stored in the deferred record, which the scheduled run settles to what it billed. If that reservation is
   * refused, so is the call (the limit's 429): deferring accepts only what still fits. If the record is not written
   * (a 503), or was written before (a retried request), this reservation goes back. No model is called.
   */
  private async deferredAnswer(
    request: GenAiRequest, near: NearLimit, route: RouteDecision, estimate: TokenEstimate, inputBound: number, maxTokens: number, startedAt: number,
    context: SpendContext, amount: SpendAmount,
  ): Promise<Answer> {
    if (!this.deps.deferral) throw deferUnavailableRefusal(near, this.now(), request.feature);
    const { degraded } = near;
    const heldContext: SpendContext = { ...context, path: 'batch' };
    const held = await this.spend.reserve(heldContext, amount);
    // Given back under a key of its own: the request's (`batch:<id>`) stays the run's settlement's.
    const giveBack = (why: string) => this.spend.settle({ ...heldContext, requestId: `${request.requestId}:${why}` }, held, NO_SPEND);
    let deferred: Awaited<ReturnType<Deferral['defer']>>;
    try {
      deferred = await this.deps.deferral.defer(request, `${limitName(near.status)}; used=${degraded.usedShare.toFixed(2)}`, storeReservation(heldContext, held));
    } catch (error) {
      await giveBack('not-deferred');
      throw error;
    }
    if (!deferred.written) await giveBack('deferred-before');
    const receipt = deferred.receipt;
    const result: PipelineResult = {
      requestId: request.requestId, answer: '', stopReason: 'deferred',
      model: { id: route.modelId, tier: route.tier, reasons: [...route.reasons, `deferred near limit ${degraded.limit}`] },
      usage: NO_USAGE, cost: { ...NO_COST, priced: 'catalog' }, cache: { response: 'miss', prompt: 'none' }, attempts: 0,
      latencyMs: this.now() - startedAt, estimatedInputTokens: estimate.total, inputTokenBound: inputBound, degraded, deferred: receipt,
    };
    return {
      result,
      finish: once(async () => {
        this.deps.recorder.record({ ...this.recordOf(request, result, 0, maxTokens), status: 202 });
        return { costUsd: 0, estimated: false, settleFailures: 0 };
      }),
    };
  }

  /** A model call's answer priced in the tier Bedrock reports having served it in, not the one asked for. */
  private priced(call: ModelCall, requestedTier: ServiceTierName): ModelAnswer {
    const usage = usageOf(call.usage);
    const tier = servedTier(call.serviceTier, requestedTier);
    const { cost, totalAtto } = priceCallExact(usage, call.usage?.cacheDetails, call.route.modelId, this.catalog, this.config, tier);
    return {
      route: call.route, attempts: call.attempts, answer: call.answer, stopReason: call.stopReason ?? 'unknown', usage, cost, costAtto: totalAtto,
      reported: call.reported, serviceTier: tier, ...(call.failure ? { failure: call.failure } : {}),
    };
  }

  /**
   * An embedding call's cost: Converse's exact computation (`priceCallExact`) over its usage, input tokens alone. The
   * settlement and the record both read this one result.
   */
  private priceEmbedding(modelId: string, inputTokens: number): PricedEmbedding {
    const usage: Usage = { ...NO_USAGE, inputTokens };
    return { usage, ...priceCallExact(usage, undefined, modelId, this.catalog, this.config) };
  }

  /**
   * The reservation of a Converse call: the bound, the output cap, at the dearest model the call may reach (`upward`
   * false: a capped call, which never falls back above its tier).
   */
  private converseUpperBound(route: RouteDecision, estimate: TokenEstimate, inputBound: number, maxTokens: number, serviceTier: ServiceTierName, upward?: typeof NO_UPWARD_FALLBACK) {
    const config = upward ? { ...this.config, retry: { ...this.config.retry, ...upward } } : this.config;
    const models = [route.modelId, ...fallbackTiers(route.tier, config).map((t) => this.config.tiers[t]!.modelId)];
    return spendUpperBound({
      inputTokens: inputBound,
      cacheablePrefixTokens: this.config.promptCaching ? Math.min(inputBound, estimate.bound.system + estimate.bound.context) : 0,
      maxOutputTokens: maxTokens,
      prices: models.map((id) => reservationPrice(id, this.catalog, this.config, serviceTier)),
    });
  }

  private promptFor(route: RouteDecision, request: GenAiRequest, systemPrompt: string | undefined, estimate: TokenEstimate) {
    const minCacheTokens = this.config.promptCaching ? modelPrice(route.modelId, this.catalog, this.config).price.minCacheTokens : undefined;
    return buildPrompt(request, systemPrompt, estimate, minCacheTokens);
  }

  private cacheHitResult(request: GenAiRequest, route: RouteDecision, cached: CachedResponse, estimate: TokenEstimate, inputBound: number, startedAt: number): PipelineResult {
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
      inputTokenBound: inputBound,
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

  /** What each model call of a request carries into Bedrock's invocation logs. */
  private requestMetadataOf(who: { readonly tenantId?: string; readonly requestId?: string }, feature: string): Record<string, string> {
    return requestMetadataFor({ application: this.config.application, feature, tenantId: who.tenantId, requestId: who.requestId });
  }

  private recordBase(who: Partial<RequestIdentity> | undefined, feature: string) {
    return {
      application: this.config.application,
      environment: this.config.environment,
      feature,
      requestId: who?.requestId,
      tenantId: who?.tenantId,
      userId: who?.userId,
    };
  }

  private recordOf(request: GenAiRequest, result: PipelineResult, settleFailures: number, maxOutputTokens: number): SpendRecord {
    return {
      ...this.recordBase(request, request.feature),
      ...(request.runId !== undefined ? { runId: request.runId } : {}),
      ...(request.parentRunId !== undefined ? { parentRunId: request.parentRunId } : {}),
      ...(result.serviceTier !== undefined ? { serviceTier: result.serviceTier } : {}),
      maxOutputTokens,
      path: 'converse',
      status: 200,
      modelId: result.model.id,
      usage: result.usage,
      costUsd: result.cost.totalUsd,
      priced: result.cost.priced,
      latencyMs: result.latencyMs,
      attempts: result.attempts,
      route: { tier: result.model.tier, reasons: result.model.reasons },
      responseCache: result.cache.response,
      savedUsd: result.cache.savedUsd,
      promptCache: result.cache.prompt,
      inputTokenBound: result.inputTokenBound,
      settleFailures,
      ...(result.degraded ? { degraded: result.degraded } : {}),
    };
  }

  /**
   * Records a model call made outside {@link run} and {@link embed}: a batch job's records, collected hours after
   * the job was reserved on {@link spend}, go to the same recorder and metrics as every other call.
   */
  record(record: SpendRecord): void {
    this.deps.recorder.record(record);
  }

  /**
   * Records a refusal or failure on `path` as one record (status and code; nothing was charged for a 4xx). The API
   * handler calls it for what it refuses before the pipeline (a malformed or oversize body, a wrong route).
   */
  recordRejection(error: unknown, path: SpendPath, who?: Partial<RequestIdentity>, feature: string = this.config.defaultFeature): void {
    const status = error instanceof PipelineError ? error.status : 500;
    const errorCode = error instanceof PipelineError ? error.code : 'INTERNAL_ERROR';
    // A call cut off mid-way was settled at its reservation's bound (it may have been billed): the record says so.
    const degraded = error instanceof PipelineError ? degradationIn(error) : undefined;
    this.deps.recorder.record({
      ...this.recordBase(who, feature), path, status, errorCode, ...(mayHaveBilled(error) ? { estimated: true } : {}), ...(degraded ? { degraded } : {}),
    });
  }
}

// Only answers the routed model finished (or cut at the cap the key includes) are reused: a fallback model's answer
// or one stopped by a guardrail or content filter is served once, not for the cache's TTL.
function isCacheable(tier: RouteDecision['tier'], stopReason: string | undefined, routed: RouteDecision): boolean {
  return tier === routed.tier && (stopReason === 'end_turn' || stopReason === 'max_tokens');
}

// Whether a reservation of `least` may pass the limit that refused: what the refusal reports left, in its measure.
function mayFit(refusal: unknown, least: SpendAmount): boolean {
  if (!(refusal instanceof PipelineError)) return false;
  const { measure, used, limit } = refusal.details as { measure?: string; used?: number; limit?: number };
  if (typeof used !== 'number' || typeof limit !== 'number') return true;
  const left = limit - used;
  return measure === 'tokens' ? least.tokens <= left : measure === 'costUsd' ? Number(least.costAtto) / 1e18 <= left : true;
}

// An error after the model stream opened, as one that may have billed (`mayHaveBilled`): its settlement takes the bound.
function asCutOffMidCall(error: unknown): PipelineError {
  if (error instanceof PipelineError) return mayHaveBilled(error) ? error : new PipelineError(error.status, error.code, error.message, { ...error.details, cutOffMidCall: true });
  // The cause stays out of what the client reads; the handler logs it.
  return Object.assign(new PipelineError(500, 'INTERNAL_ERROR', 'The answer failed after the model stream opened.', { cutOffMidCall: true }), { cause: error });
}

// A refusal after the re-count says so: its figures (`requested`) are the counted prompt's, not the bound's.
function withCountedInput(error: unknown, countedInputTokens: number): unknown {
  if (!(error instanceof PipelineError) || error.status !== 429) return error;
  return new PipelineError(error.status, error.code, `${error.message} (The prompt was counted by Bedrock: ${countedInputTokens} input tokens.)`,
    { ...error.details, countedInputTokens });
}

function usageOf(usage: { inputTokens?: number; outputTokens?: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number } | undefined): Usage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
  };
}

function answerOf(response: { output?: { message?: { content?: Array<{ text?: string }> } } }): string {
  return (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
}

function promptCacheOutcome(usage: Usage): PipelineResult['cache']['prompt'] {
  const read = usage.cacheReadInputTokens > 0;
  const write = usage.cacheWriteInputTokens > 0;
  return read && write ? 'read-write' : read ? 'read' : write ? 'write' : 'none';
}

/** A model call's answer as both stages give it, before pricing. */
interface ModelCall {
  readonly route: RouteDecision;
  readonly attempts: number;
  readonly answer: string;
  readonly stopReason?: string;
  readonly usage?: TokenUsage;
  readonly serviceTier?: string;
  /** Whether Bedrock reported the usage (a stream that failed mid-way did not). */
  readonly reported: boolean;
  readonly failure?: PipelineError;
}

/** A model call's answer, priced. */
interface ModelAnswer {
  readonly route: RouteDecision;
  readonly attempts: number;
  readonly answer: string;
  readonly stopReason: string;
  readonly usage: Usage;
  readonly cost: PipelineResult['cost'];
  readonly costAtto: bigint;
  readonly reported: boolean;
  readonly serviceTier: ServiceTierName;
  readonly failure?: PipelineError;
}

// A refusal a `nearLimit` policy made (cache only) names its degradation: the record and metric count it.
function degradationIn(error: PipelineError): Degradation | undefined {
  const degraded = error.details.degraded as Degradation | undefined;
  return degraded && typeof degraded.action === 'string' ? degraded : undefined;
}

const NO_UPWARD_FALLBACK = Object.freeze({ fallbackUpward: false });

const NO_COST = { inputUsd: 0, outputUsd: 0, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: 0, batch: false } as const;

// What a call settled at its bound was charged: the reservation's whole cost, not split by kind of token (no
// usage says how it would split).
function boundCost(reserved: SpendAmount): PipelineResult['cost'] {
  return { inputUsd: 0, outputUsd: 0, cacheReadUsd: 0, cacheWrite5mUsd: 0, cacheWrite1hUsd: 0, totalUsd: attoToUsd(reserved.costAtto), batch: false, priced: 'catalog' };
}

/** Runs `work` once: later calls get the first call's promise (a retried finish settles nothing twice). */
function once<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => (running ??= work());
}
