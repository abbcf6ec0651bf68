/**
 * The metrics every spend path writes (one EMF record per model call or rejection), and what dashboards, alarms
 * and the constructs' `metricXxx()` methods read. Dimensions are low-cardinality on purpose: each combination of
 * values is a billed custom metric; tenant, user and request ids are EMF properties, not dimensions.
 */

/** The CloudWatch namespace of the pipeline's metrics. */
export const METRIC_NAMESPACE = 'GenAI/FinOps';

/** The dimensions of every record, in this order. */
export const METRIC_DIMENSIONS = Object.freeze(['Application', 'Feature', 'Model'] as const);

/** The name of one dimension. */
export type MetricDimension = (typeof METRIC_DIMENSIONS)[number];

/**
 * The dimensions of the usage ledger's events (`GuardFailOpen`, `GuardFailClosed`, `GuardHoldsExpired`,
 * `GuardAllowancesExpired`): the Application only, what `UsageLedger`'s `metricFailOpen()`, `metricFailClosed()`,
 * `metricHoldsExpired()`, `metricAllowancesExpired()` and the dashboard's usage-ledger widget read. Feature, tenant, user, scope
 * and window are EMF properties: an outage would otherwise mint a billed metric per tenant.
 */
export const GUARD_EVENT_DIMENSIONS = Object.freeze(['Application'] as const);

/** The name of one guard-event dimension. */
export type GuardEventDimension = (typeof GUARD_EVENT_DIMENSIONS)[number];

/** The `Model` dimension's value on a record that reached no model (a rejection). */
export const NO_MODEL = 'none';

/** Metric names. */
export const METRIC = Object.freeze({
  /** Requests served or refused; a response-cache hit counts as a request. */
  requests: 'Requests',
  /** Fresh input tokens billed (cache reads and writes excluded, as Bedrock reports `inputTokens`). */
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  cacheReadTokens: 'CacheReadInputTokens',
  cacheWriteTokens: 'CacheWriteInputTokens',
  /** The exact cost of the call in USD. */
  costUsd: 'CostUSD',
  /** What a response-cache hit saved: the original call's cost. */
  savedUsd: 'SavedUSD',
  latencyMs: 'LatencyMs',
  responseCacheHits: 'ResponseCacheHits',
  responseCacheMisses: 'ResponseCacheMisses',
  embeddingCacheHits: 'EmbeddingCacheHits',
  embeddingCacheMisses: 'EmbeddingCacheMisses',
  /** Refused before any model call (4xx). */
  rejected: 'RejectedRequests',
  /** Failed (5xx). */
  failed: 'FailedRequests',
  /** Model calls made, retries and fallbacks included. */
  attempts: 'ModelAttempts',
  /** The upper bound of input tokens the limits and reservations used. */
  inputTokenBound: 'InputTokenBound',
  /** 1 when the billed input tokens exceeded the bound: the bound is wrong for that text, and limits may overshoot. */
  inputTokenBoundExceeded: 'InputTokenBoundExceeded',
  /** A guard could not settle a reservation after a billed call (the answer was still returned). */
  settleFailures: 'GuardSettleFailures',
  /** The circuit breaker's state table could not be read: the breaker failed open (the request was let through). */
  breakerUnavailable: 'BreakerUnavailable',
  /** A guard could not reach its store and let the request through on a per-container fallback (fail open). */
  guardFailOpen: 'GuardFailOpen',
  /** A guard could not reach its store and refused the request with 503 (fail closed). */
  guardFailClosed: 'GuardFailClosed',
  /** Reservations never settled (their Lambda died) given back to the ledger once they expired. */
  guardHoldsExpired: 'GuardHoldsExpired',
  /**
   * Container allowances (`allowanceSeconds`) whose container never settled them (it died or idled past their
   * bucket): their amounts stay counted, the most the ledger over-counts by.
   */
  guardAllowancesExpired: 'GuardAllowancesExpired',
  /**
   * A call answered (or accepted) degraded because a limit neared: a cheaper tier, Flex, cache only, or deferred
   * (`nearLimit`); dimensions Application, Feature, Action (the action's wire name).
   */
  degradedRequests: 'DegradedRequests',
  /** A request refused by a tripped breaker's throttle (`WhenTripped.THROTTLE`): 429 `FEATURE_THROTTLED`. */
  throttledRequests: 'ThrottledRequests',
} as const);

/**
 * EMF properties (not dimensions, not metrics) of a record: searchable in Logs Insights, readable by local tools.
 * `route` is the tier the request was routed to (simple, medium, complex).
 */
export const METRIC_PROPERTY = Object.freeze({
  route: 'route',
} as const);

/** The name of one metric. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Which kind of model call a record is about. */
export type SpendPath = 'converse' | 'embedding' | 'batch';
