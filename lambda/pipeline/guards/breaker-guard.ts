import { BreakerConfig, BreakerFeatureConfig, breakerSharePercent, DEFAULT_BREAKER_CACHE_TTL_SECONDS, DEFAULT_BREAKER_READ_TIMEOUT_MS, DEFAULT_BREAKER_THROTTLE_SHARE } from '../../../shared/contract';
import { BreakerStateReader, effectiveState, EffectiveBreakerState, governingFeatures } from '../../breaker/state';
import { PipelineError } from '../errors';
import { BreakerThrottle } from './breaker-throttle';
import { AdmitDecision, SpendContext, SpendGuard } from './spend-guard';

/** A feature with no configuration: not critical, paused when tripped. */
const DEFAULT_FEATURE: BreakerFeatureConfig = Object.freeze({ critical: false, whenTripped: 'pause' });
/** After a failed read the breaker stays open-for-business this long before it asks the table again. */
const UNAVAILABLE_BACKOFF_MS = 5_000;

interface CachedStates {
  readonly states: ReadonlyArray<EffectiveBreakerState>;
  readonly expiresAtMs: number;
}

/** What the guard talks to besides the table. */
export interface BreakerGuardOptions {
  /** Where fail-open events are reported. */
  readonly warn?: (message: string, fields: Record<string, unknown>) => void;
  /** Counts a fail-open read (the `BreakerUnavailable` metric). */
  readonly onUnavailable?: (feature: string) => void;
  /** Counts a request a throttled feature's breaker refused (the `ThrottledRequests` metric). */
  readonly onThrottled?: (feature: string) => void;
  /** Epoch ms; the cache's clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * The circuit breaker's guard: at `admit`, before the cache lookup, reads the feature's breaker and the global one
 * (`*`) and, when either is open for the current period, pauses a non-critical feature (503 `FEATURE_PAUSED`), caps
 * its routing at a cheaper tier, or throttles it (admits `throttleTo` of its requests, 429 `FEATURE_THROTTLED` for
 * the rest: {@link BreakerThrottle}); critical features pass without a read. Admission comes before the response
 * cache, so a request the cache would have answered counts and may be refused, as under a pause.
 *
 * States are cached in the container for `cacheTtlSeconds` (30 s by default): the hot path reads DynamoDB (one
 * BatchGetItem of two keys) once per TTL per feature, so a trip takes effect within the TTL. Concurrent requests
 * on a cold cache share one read.
 *
 * Fails open: when the table cannot be read within `readTimeoutMs` (1 s by default) the request passes, with a
 * warning and a `BreakerUnavailable` metric; the read is abandoned, not left to hold the request.
 * The breaker is a brake against runaway spend, not a quota; usage limits and the ledger still bound spend.
 */
export class BreakerGuard implements SpendGuard {
  readonly name = 'circuit-breaker';
  private readonly cache = new Map<string, CachedStates>();
  private readonly inFlight = new Map<string, Promise<ReadonlyArray<EffectiveBreakerState>>>();
  private readonly throttle = new BreakerThrottle();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly config: BreakerConfig,
    private readonly application: string,
    private readonly reader: BreakerStateReader,
    private readonly options: BreakerGuardOptions = {},
  ) {
    this.ttlMs = (config.cacheTtlSeconds ?? DEFAULT_BREAKER_CACHE_TTL_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** How `feature` behaves when tripped. */
  policyOf(feature: string): BreakerFeatureConfig {
    return this.config.features[feature] ?? this.config.defaultFeature ?? DEFAULT_FEATURE;
  }

  async admit(context: SpendContext): Promise<AdmitDecision | void> {
    const policy = this.policyOf(context.feature);
    if (policy.critical) return;
    const open = (await this.states(context.feature)).find((s) => s.open);
    if (!open) {
      this.throttle.closed(context.feature);
      return;
    }
    const scope = open.feature === '*' ? `the ${this.application} application's global breaker` : `the breaker of feature '${context.feature}'`;
    const why = `${scope} is open since ${open.openedAt ?? 'recently'}${open.reason ? ` (${open.reason})` : ''}`;
    if (policy.whenTripped === 'downgrade') {
      return { maxTier: policy.downgradeTo ?? 'simple', reason: `downgraded: ${why}` };
    }
    const resets = open.resetsAt ? `; it resets at ${open.resetsAt}, when the budget period ends, or when an operator resets it` : '; it resets when its alarm clears or an operator resets it';
    const resetsInSeconds = open.resetsAt ? Math.max(1, Math.ceil((Date.parse(open.resetsAt) - context.nowMs) / 1000)) : undefined;
    // Callers retry after the cache TTL at the soonest: the breaker is re-read no sooner.
    const retryAfterSeconds = Math.min(resetsInSeconds ?? Number.MAX_SAFE_INTEGER, Math.max(1, Math.ceil(this.ttlMs / 1000)));
    if (policy.whenTripped === 'throttle') {
      const share = policy.throttleTo ?? DEFAULT_BREAKER_THROTTLE_SHARE;
      if (this.throttle.admits(context.feature, `${open.feature}#${open.openedAt ?? ''}`, share)) return;
      this.options.onThrottled?.(context.feature);
      throw new PipelineError(429, 'FEATURE_THROTTLED',
        `Feature '${context.feature}' is throttled to ${breakerSharePercent(share)} of its requests and this one was not admitted: ${why}${resets}.`,
        { ...this.breakerDetails(context.feature, open), throttleTo: share, retryAfterSeconds });
    }
    throw new PipelineError(503, 'FEATURE_PAUSED', `Feature '${context.feature}' is paused: ${why}${resets}.`, {
      ...this.breakerDetails(context.feature, open),
      retryAfterSeconds,
    });
  }

  // What a refusal's details say about the breaker that refused.
  private breakerDetails(feature: string, open: EffectiveBreakerState): Record<string, string> {
    return {
      feature,
      breaker: open.feature,
      ...(open.source ? { source: open.source } : {}),
      ...(open.reason ? { reason: open.reason } : {}),
      ...(open.openedAt ? { openedAt: open.openedAt } : {}),
      ...(open.period ? { period: open.period } : {}),
      ...(open.resetsAt ? { resetsAt: open.resetsAt } : {}),
    };
  }

  /** Forget the cached states (tests, and an operator who wants a reset seen at once in a warm container). */
  clearCache(): void {
    this.cache.clear();
  }

  private async states(feature: string): Promise<ReadonlyArray<EffectiveBreakerState>> {
    const nowMs = this.now();
    const cached = this.cache.get(feature);
    if (cached && cached.expiresAtMs > nowMs) return cached.states.map((s) => (s.open ? stillOpen(s, nowMs) : s));
    let pending = this.inFlight.get(feature);
    if (!pending) {
      pending = this.load(feature, nowMs).finally(() => this.inFlight.delete(feature));
      this.inFlight.set(feature, pending);
    }
    return pending;
  }

  private async load(feature: string, nowMs: number): Promise<ReadonlyArray<EffectiveBreakerState>> {
    const features = governingFeatures(feature);
    try {
      const items = await this.readWithin(features, this.config.readTimeoutMs ?? DEFAULT_BREAKER_READ_TIMEOUT_MS);
      const states = features.map((f) => effectiveState(f, items.get(f), nowMs));
      this.cache.set(feature, { states, expiresAtMs: nowMs + this.ttlMs });
      return states;
    } catch (error) {
      this.options.warn?.('circuit breaker state unreadable; failing open (the request passes)', { feature, error: String(error) });
      this.options.onUnavailable?.(feature);
      const states = features.map((f) => ({ feature: f, open: false }));
      this.cache.set(feature, { states, expiresAtMs: nowMs + Math.min(this.ttlMs, UNAVAILABLE_BACKOFF_MS) });
      return states;
    }
  }

  // The read, abandoned after `timeoutMs`: the SDK is asked to abort, and the guard stops waiting either way.
  private readWithin(features: string[], timeoutMs: number): ReturnType<BreakerStateReader['read']> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`breaker states not read within ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const read = this.reader.read(this.application, features, { abortSignal: controller.signal });
    read.catch(() => undefined); // an abandoned read's late failure is not an unhandled rejection
    return Promise.race([read, expired]).finally(() => clearTimeout(timer));
  }
}

// A cached open state whose period has ended meanwhile reads as closed, without waiting for the TTL.
function stillOpen(state: EffectiveBreakerState, nowMs: number): EffectiveBreakerState {
  return state.resetsAt !== undefined && Date.parse(state.resetsAt) <= nowMs ? { feature: state.feature, open: false } : state;
}
