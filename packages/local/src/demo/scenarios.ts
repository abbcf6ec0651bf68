/**
 * The runs of the demo: a naive deployment, each cost lever added alone to it, and the library's defaults with
 * every lever on. Each run is an API workflow of the demo stack, with the props that pull its levers
 * (`leverProps` in demo-stack.ts); its function's configuration is what the construct synthesizes.
 */
import { DEFAULT_TIER_MODELS } from '../../../../shared/core';

/** The levers the library pulls. */
export interface Levers {
  /** Route by complexity to Haiku / Sonnet / Opus instead of one large model. */
  readonly routing: boolean;
  /** Bedrock prompt caching of the stable prefix (system prompt + knowledge-base context). */
  readonly promptCaching: boolean;
  /** The DynamoDB response cache: identical requests of a tenant answered at no model cost. */
  readonly responseCache: boolean;
  /** The library's output cap (1,024 tokens) instead of a generous one. */
  readonly outputCap: boolean;
}

/** One run of the demo. */
export interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly levers: Levers;
}

/** The output cap of the naive deployment: generous, as teams set it before they look at the bill. */
export const NAIVE_MAX_OUTPUT_TOKENS = 4096;
/** The one large model of the naive deployment: the Opus the library routes complex requests to. */
export const NAIVE_MODEL = DEFAULT_TIER_MODELS.complex;

const NONE: Levers = { routing: false, promptCaching: false, responseCache: false, outputCap: false };

/** Naive first (the baseline), then one lever at a time, then all of them. */
export const SCENARIOS: ReadonlyArray<Scenario> = [
  { id: 'naive', label: 'Naive (Opus, no caches, cap 4096)', levers: NONE },
  { id: 'routing', label: '+ routing Haiku/Sonnet/Opus', levers: { ...NONE, routing: true } },
  { id: 'prompt-caching', label: '+ prompt caching', levers: { ...NONE, promptCaching: true } },
  { id: 'response-cache', label: '+ response cache', levers: { ...NONE, responseCache: true } },
  { id: 'output-cap', label: '+ output cap 1024', levers: { ...NONE, outputCap: true } },
  { id: 'optimized', label: 'Library defaults (all levers)', levers: { routing: true, promptCaching: true, responseCache: true, outputCap: true } },
];
