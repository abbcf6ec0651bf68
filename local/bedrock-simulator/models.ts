import { BedrockError, BedrockMessages, validationError } from './errors';

// Prefixes of Bedrock's system-defined cross-region inference profile ids (`us.anthropic...`).
const GEO_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\.(?=[a-z0-9-]+\.)/;
const BASE_MODEL_ID = /^[a-z0-9-]+\.[A-Za-z0-9.\-:]+$/;
const ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d*:([a-z-]+)\/(.+)$/;

interface ModelRule<T> {
  readonly pattern: RegExp;
  readonly value: T;
}

// Minimum tokens a prefix needs before a cache point takes effect. Models absent from this table do not
// support prompt caching at all, which Bedrock reports as a ValidationException.
const MIN_CACHEABLE_TOKENS: ReadonlyArray<ModelRule<number>> = [
  { pattern: /^anthropic\.claude-3-7-sonnet-/, value: 1024 },
  { pattern: /^anthropic\.claude-sonnet-4-\d{8}-/, value: 1024 },
  { pattern: /^anthropic\.claude-sonnet-4-5-/, value: 1024 },
  { pattern: /^anthropic\.claude-opus-4-\d{8}-/, value: 1024 },
  { pattern: /^anthropic\.claude-opus-4-1-/, value: 1024 },
  { pattern: /^anthropic\.claude-3-5-haiku-/, value: 2048 },
  { pattern: /^anthropic\.claude-3-haiku-/, value: 2048 },
  { pattern: /^anthropic\.claude-haiku-4-5-/, value: 4096 },
  { pattern: /^anthropic\.claude-opus-4-5-/, value: 4096 },
  { pattern: /^amazon\.nova-(?:2-)?(?:micro|lite|pro|premier)-/, value: 1000 },
];

const CONTEXT_WINDOWS: ReadonlyArray<ModelRule<number>> = [
  { pattern: /^anthropic\.claude/, value: 200_000 },
  { pattern: /^amazon\.nova-(?:2-)?(?:pro|lite)-/, value: 300_000 },
  { pattern: /^amazon\.nova-micro-/, value: 128_000 },
  { pattern: /^amazon\.nova-premier-/, value: 1_000_000 },
  { pattern: /^meta\.llama/, value: 128_000 },
  { pattern: /^amazon\.titan-embed-text-/, value: 8_192 },
];

const DEFAULT_CONTEXT_WINDOW = 100_000;

/** The Titan Text Embeddings generations the simulator serves on InvokeModel. */
export type TitanEmbeddingModel = 'v1' | 'v2';

function lookup<T>(rules: ReadonlyArray<ModelRule<T>>, baseModelId: string): T | undefined {
  return rules.find((rule) => rule.pattern.test(baseModelId))?.value;
}

/**
 * Minimum prefix size in tokens for a cache point to take effect on `baseModelId`, or `undefined` when
 * the model does not support prompt caching.
 */
export function minimumCacheableTokens(baseModelId: string): number | undefined {
  return lookup(MIN_CACHEABLE_TOKENS, baseModelId);
}

/** The model's context window in tokens (100,000 for models the simulator has no figure for). */
export function contextWindowTokens(baseModelId: string): number {
  return lookup(CONTEXT_WINDOWS, baseModelId) ?? DEFAULT_CONTEXT_WINDOW;
}

/** Which Titan Text Embeddings model `baseModelId` is, if it is one. */
export function titanEmbeddingModel(baseModelId: string): TitanEmbeddingModel | undefined {
  if (/^amazon\.titan-embed-text-v1(?::|$)/.test(baseModelId)) return 'v1';
  if (/^amazon\.titan-embed-text-v2(?::|$)/.test(baseModelId)) return 'v2';
  return undefined;
}

function invalidModel(): BedrockError {
  return validationError(BedrockMessages.invalidModel);
}

function fromArn(arn: string): string {
  const match = ARN.exec(arn);
  if (!match) throw invalidModel();
  const [, resourceType, resourceId] = match;
  // Application inference profiles have opaque ids; only modelAliases can say which model is behind one.
  if (resourceType === 'foundation-model' || resourceType === 'inference-profile') return resourceId;
  throw invalidModel();
}

/**
 * Resolves any identifier Bedrock accepts as `modelId` (base model id, cross-region profile id, or an
 * ARN of a foundation model, inference profile or application inference profile) to the base model id
 * used for the simulator's tables. `aliases` is consulted first, so it can name any identifier.
 *
 * @throws BedrockError (ValidationException) when the identifier cannot be resolved
 */
export function resolveBaseModelId(modelId: string, aliases: Readonly<Record<string, string>>): string {
  let id = Object.prototype.hasOwnProperty.call(aliases, modelId) ? aliases[modelId] : modelId;
  if (id.startsWith('arn:')) id = fromArn(id);
  id = id.replace(GEO_PREFIX, '');
  if (!BASE_MODEL_ID.test(id)) throw invalidModel();
  return id;
}
