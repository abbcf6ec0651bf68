import { LedgerFailureMode, UsageScope, UsageWindow } from '../guardrails/usage-limits';
import { WhenTripped } from '../guardrails/circuit-breaker';
import { oneOf, PropKinds } from '../private/prop-check';
import { GENAI_TAG_VALUE_KINDS } from '../tagging/tag-value-kinds';
import { NEAR_LIMIT_KINDS } from './near-limit';
import type { GenAiWorkflowProps, ModelPriceOverride, ModelRouting } from './genai-workflow-props';
import { RoutingTier, ServiceTier } from './genai-workflow-props';
import type { UsageLimit } from '../guardrails/usage-limits';

// The known keys of the workflows' props and what each holds (lib/private/prop-check.ts); `satisfies` fails the
// build when one of the interfaces gains or loses a key this list does not.

const ROUTING_KINDS = { simple: 'object', medium: 'object', complexTier: 'object' } as const satisfies PropKinds<ModelRouting>;

const USAGE_LIMIT_KINDS = {
  scope: oneOf(UsageScope, 'UsageScope'),
  window: oneOf(UsageWindow, 'UsageWindow'),
  maxRequests: 'number',
  maxTokens: 'number',
  maxCostUsd: 'number',
  tier: 'string',
  shards: 'number',
  onLedgerUnavailable: oneOf(LedgerFailureMode, 'LedgerFailureMode'),
  allowanceSeconds: 'number',
} as const satisfies PropKinds<UsageLimit>;

const PRICE_KINDS = {
  modelId: 'string',
  inputPerMillion: 'number',
  outputPerMillion: 'number',
  cacheReadPerMillion: 'number',
  cacheWrite5mPerMillion: 'number',
  cacheWrite1hPerMillion: 'number',
  minCacheTokens: 'number',
  batchDiscount: 'number',
} as const satisfies PropKinds<ModelPriceOverride>;

/** What every workflow's props hold. */
export const WORKFLOW_PROP_KINDS = {
  tags: { fields: GENAI_TAG_VALUE_KINDS },
  model: 'object',
  routing: { fields: ROUTING_KINDS },
  maxTokens: 'number',
  maxInputTokens: 'number',
  maxHintedTier: oneOf(RoutingTier, 'RoutingTier'),
  serviceTier: oneOf(ServiceTier, 'ServiceTier'),
  usageLimits: { items: { fields: USAGE_LIMIT_KINDS } },
  nearLimit: { fields: NEAR_LIMIT_KINDS },
  circuitBreaker: 'object',
  critical: 'boolean',
  whenTripped: oneOf(WhenTripped, 'WhenTripped'),
  downgradeTo: oneOf(RoutingTier, 'RoutingTier'),
  throttleTo: 'number',
  usageLedger: 'object',
  promptCaching: 'boolean',
  responseCache: 'object',
  modelPrices: { items: { fields: PRICE_KINDS } },
  systemPrompt: 'string',
  memorySize: 'number',
  timeout: 'object',
  reservedConcurrentExecutions: 'number',
  logRetention: 'number',
} as const satisfies PropKinds<GenAiWorkflowProps>;

/**
 * The API workflow's own keys that props shared with it may carry into a document or scheduled workflow: let through
 * here, so that the runtime's check (`workflow-runtime.ts`) says why such a workflow cannot use them.
 */
export const API_ONLY_PROP_KINDS = { embeddingCache: 'object' } as const;
