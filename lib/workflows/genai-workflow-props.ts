import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IResponseCache } from '../data-stores';
import { BedrockModel } from '../inference';
import type { IUsageLedger } from '../guardrails/usage-ledger';
import { UsageLimit } from '../guardrails/usage-limits';
import type { ICircuitBreaker, WhenTripped } from '../guardrails/circuit-breaker';
import type { ModelPriceOverrideFields, ModelTier, ServiceTierName } from '../../shared/contract';
import type { MatchesContract } from '../private/matches-contract';
import type { NearLimitPolicy } from './near-limit-policy';
import { GenAiTagValues } from '../tagging';

/** The routing tiers, cheapest first. */
export enum RoutingTier {
  SIMPLE = 'simple',
  MEDIUM = 'medium',
  COMPLEX = 'complex',
}
// The runtime routes over the contract's MODEL_TIERS: this stops compiling when the enum and that list disagree.
const ROUTING_TIER_IS_CONTRACT: MatchesContract<`${RoutingTier}`, ModelTier> = true;
void ROUTING_TIER_IS_CONTRACT;

/**
 * Bedrock's on-demand service tiers, chosen per call. Flex is discounted for work that can wait (documents, nightly
 * records); Priority costs a premium for faster answers; Standard is the list price. Flex and Priority exist for some
 * models only: a workflow routed to a model without the tier fails at synthesis.
 */
export enum ServiceTier {
  /** The list price; Bedrock's default. */
  STANDARD = 'standard',
  /** Discounted; requests may wait longer and are served after Standard and Priority ones under load. */
  FLEX = 'flex',
  /** A premium for preferential processing and faster output. */
  PRIORITY = 'priority',
}
// The runtime and the estimator read the contract's SERVICE_TIERS: this stops compiling when they and the enum disagree.
const SERVICE_TIER_IS_CONTRACT: MatchesContract<`${ServiceTier}`, ServiceTierName> = true;
void SERVICE_TIER_IS_CONTRACT;

/** Models per complexity tier; requests are routed to the cheapest tier that suits them. */
export interface ModelRouting {
  /** Short, FAQ-like requests: the bulk of traffic. */
  readonly simple: BedrockModel;
  /**
   * Explanations, code, comparisons.
   * @default - routed to the simple tier
   */
  readonly medium?: BedrockModel;
  /**
   * Multi-step reasoning, analysis, design: the `complex` tier (`RoutingTier.COMPLEX`). Named `complexTier`
   * because `complex` is a reserved word in Go, one of the languages jsii generates bindings for.
   * @default - routed to the medium tier (or simple)
   */
  readonly complexTier?: BedrockModel;
}

/**
 * A price that overrides or extends the built-in catalog, in USD per million tokens: the price you pay (from your
 * bill or contract), used as is. No regional premium is added to it, whatever inference profile the model is
 * invoked through.
 *
 * One shape, two spellings: props take a list of these (`modelPrices: [{ modelId, ... }]`, the shape every jsii
 * language can express), and the workflow writes them to the runtime as the map `priceOverrides` of
 * `GENAI_PIPELINE_CONFIG`, keyed by `modelId`, each value the same fields without `modelId` (fields not given are
 * left out, and the runtime completes them from the catalog). A model id may appear once: a duplicate fails synthesis.
 */
export interface ModelPriceOverride {
  /** The base model id, e.g. `anthropic.claude-haiku-4-5-20251001-v1:0`. */
  readonly modelId: string;
  /** USD per 1M input tokens. */
  readonly inputPerMillion: number;
  /** USD per 1M output tokens. */
  readonly outputPerMillion: number;
  /**
   * USD per 1M tokens read from the prompt cache.
   * @default - `inputPerMillion` times the model's ratio: the catalog's cache-read over input price for a known model;
   * else 0.1 for Anthropic models, 0.25 for Nova, 1 otherwise
   */
  readonly cacheReadPerMillion?: number;
  /**
   * USD per 1M tokens written to the prompt cache with the 5-minute TTL.
   * @default - `inputPerMillion` times the model's ratio (catalog ratio for a known model; else 1.25 for Anthropic, 1 otherwise)
   */
  readonly cacheWrite5mPerMillion?: number;
  /**
   * USD per 1M tokens written to the prompt cache with the 1-hour TTL.
   * @default - `inputPerMillion` times the model's ratio (catalog ratio for a known model; else 2 for Anthropic, 1 otherwise)
   */
  readonly cacheWrite1hPerMillion?: number;
  /** Minimum tokens per prompt-cache checkpoint. @default - the catalog's value; no prompt caching for an unknown model */
  readonly minCacheTokens?: number;
  /** Fraction taken off in batch inference, e.g. 0.5. @default - the catalog's value; no discount for an unknown model */
  readonly batchDiscount?: number;
}
// The runtime reads these fields as the contract's ModelPriceOverrideFields, keyed by modelId: a field added to one
// side only stops compiling.
const PRICE_OVERRIDE_IS_CONTRACT: MatchesContract<Exclude<keyof ModelPriceOverride, 'modelId'>, keyof ModelPriceOverrideFields> = true;
void PRICE_OVERRIDE_IS_CONTRACT;

/** Properties every GenAI workflow accepts. */
export interface GenAiWorkflowProps {
  /**
   * GenAI tags for this workflow (typically Feature, Team, CostCenter, Customer). They apply to every resource
   * of the workflow, including its Bedrock inference profile, so they reach the bill.
   * @default - only the tags inherited from enclosing scopes; InferenceType defaults per workflow
   */
  readonly tags?: GenAiTagValues;
  /**
   * One model for every request (no routing). Set either `model` or `routing`.
   * @default - routing across Claude Haiku 4.5, Sonnet 4.5 and Opus 4.5 (US cross-region profiles)
   */
  readonly model?: BedrockModel;
  /**
   * Models per complexity tier. Each gets an application inference profile of its own, tagged with the model.
   * @default - Claude Haiku 4.5 (simple), Sonnet 4.5 (medium), Opus 4.5 (complex), US cross-region profiles
   */
  readonly routing?: ModelRouting;
  /**
   * The output cap sent with every model call (`maxTokens`); a caller may lower it, never raise it.
   * Output tokens cost about 5× input tokens.
   * @default 1024
   */
  readonly maxTokens?: number;
  /**
   * Requests estimated above this many input tokens are refused (413) before any model call.
   * @default 50000
   */
  readonly maxInputTokens?: number;
  /**
   * The highest tier a caller's `complexity` hint may choose. A hint may always lower the tier the rule-based
   * classifier chose; raising it is what lets any caller send a one-line question to the dearest model, so it is
   * off unless a feature opts in.
   * @default - hints may only lower the tier
   */
  readonly maxHintedTier?: RoutingTier;
  /**
   * The Bedrock service tier every model call asks for; the cost is computed in the tier Bedrock reports. The
   * document and scheduled workflows are natural Flex users (nobody waits on them), but Flex is offered for a few
   * models only (not the default Claude routing), so no workflow turns it on by itself. Every routed model must have
   * a price for the tier in the catalog, or synthesis fails.
   * @default ServiceTier.STANDARD
   */
  readonly serviceTier?: ServiceTier;
  /**
   * Usage limits per user, tenant, feature or the whole workflow: requests, tokens and US dollars per minute,
   * hour, UTC day or UTC month. Each model call reserves its upper-bound usage before it runs and settles to what
   * Bedrock billed; a request that does not fit gets 429 with `Retry-After`. They are counted in each Lambda
   * container's memory (exact within a container; the workflow as a whole is bounded by containers × limit, so pair
   * them with `reservedConcurrentExecutions`); a shared ledger comes with the guardrails constructs.
   * @default - no usage limits
   */
  readonly usageLimits?: UsageLimit[];
  /**
   * Degrade before refusing: what the feature does once a call's reservation brings one of its token or USD
   * `usageLimits` to `atShare` (80 % by default) of the limit — route to a cheaper tier, ask the Flex service tier,
   * answer from the response cache only, or (an ApiWorkflow with `deferTo`) accept the work for the scheduled
   * workflow — and, with `atLimit: AtLimit.DEGRADE`, when the limit itself refuses. Every degraded answer carries
   * `x-genai-degraded` and counts in the `DegradedRequests` metric. No resource and no cost of its own.
   * @default - no degradation: a call is answered as routed until a limit refuses it (429)
   */
  readonly nearLimit?: NearLimitPolicy;
  /**
   * A circuit breaker to obey: while it is tripped for this workflow's feature (or globally), a non-critical
   * workflow is paused (503 `FEATURE_PAUSED`), throttled (429 `FEATURE_THROTTLED`) or downgraded (`whenTripped`); a
   * critical one keeps running. The
   * handler reads the breaker's state at most once per its cache TTL (30 s by default) and fails open when the table
   * cannot be read. A `CircuitBreaker`, or `CircuitBreaker.fromTable(...)` for another stack's.
   * @default - no circuit breaker
   */
  readonly circuitBreaker?: ICircuitBreaker;
  /**
   * Whether this workflow's feature is critical: it keeps running when the circuit breaker trips.
   * @default false
   */
  readonly critical?: boolean;
  /**
   * What a tripped circuit breaker does to this (non-critical) workflow.
   * @default WhenTripped.PAUSE
   */
  readonly whenTripped?: WhenTripped;
  /**
   * With `WhenTripped.DOWNGRADE`: the highest tier requests are routed to while the breaker is tripped.
   * @default RoutingTier.SIMPLE
   */
  readonly downgradeTo?: RoutingTier;
  /**
   * With `WhenTripped.THROTTLE`: the share of requests admitted while the breaker is tripped, between 0 and 1
   * exclusive; the rest get 429 `FEATURE_THROTTLED` with `Retry-After`. Each Lambda container admits this share of
   * the requests it receives (the first of a trip, then evenly: at 0.25 the 1st, 5th, 9th...), so the workflow admits
   * at most share × requests + one per container. A request the response cache would answer counts too.
   * @default 0.25
   */
  readonly throttleTo?: number;
  /**
   * Count `usageLimits` in this shared DynamoDB ledger instead of each container's memory: exact across containers
   * and across every workflow given the same ledger, with tenant tiers, sharded counters and a failure mode per
   * limit. A `UsageLedger`, or `UsageLedger.fromTable(...)` for another stack's. The handler is granted
   * `grantReserveAndSettle`.
   * @default - limits are counted in each Lambda container's memory
   */
  readonly usageLedger?: IUsageLedger;
  /**
   * Put Bedrock prompt-cache points after the system prompt and knowledge-base context when they reach the
   * model's minimum cacheable size.
   * @default true
   */
  readonly promptCaching?: boolean;
  /**
   * A response cache to use (shareable between workflows): a `ResponseCacheTable`, or
   * `ResponseCacheTable.fromTable(...)` over a table you already have.
   * @default - the API workflow creates one (1 hour TTL) unless `responseCaching` is false; the document and
   * scheduled workflows cache no responses
   */
  readonly responseCache?: IResponseCache;
  /**
   * Prices that override or extend the built-in catalog (e.g. negotiated prices, new models), one entry per model
   * id. Give one for every model the catalog does not know: it is otherwise priced at the fallback (Opus-class)
   * price, with a `genai-finops:unknown-model` warning at synthesis.
   * @default - the built-in catalog
   */
  readonly modelPrices?: ModelPriceOverride[];
  /**
   * Instructions sent as the system prompt with every call.
   * @default - none for the API workflow (send `system` with each request); short built-in instructions for documents and records
   */
  readonly systemPrompt?: string;
  /**
   * Memory of the handler in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of the handler.
   * @default - 29 seconds for the API workflow (5 minutes when it streams), 5 minutes for documents, 15 minutes for the schedule
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the handler: a ceiling on parallel model calls.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the handler's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}
