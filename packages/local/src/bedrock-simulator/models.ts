import { modelFacts, parseModelId } from '../../../../shared/core';
import { BedrockError, BedrockMessages, validationError } from './errors';

/*
 * Model facts (cache minimums, context windows, id parsing) come from lambda/core, the same source the runtime
 * prices and places cache points by, so a behaviour the simulator lets a test observe is the one the runtime expects.
 * What stays here is the simulator's own: which embedding generation it serves and its alias table.
 */

/** The Titan Text Embeddings generations the simulator serves on InvokeModel. */
export type TitanEmbeddingModel = 'v1' | 'v2';

/**
 * Minimum prefix size in tokens for a cache point to take effect on `baseModelId`, or `undefined` when
 * the model does not support prompt caching (Bedrock rejects cache points for it).
 */
export function minimumCacheableTokens(baseModelId: string): number | undefined {
  return modelFacts(baseModelId).minCacheTokens;
}

/** The model's context window in tokens (the fallback price's window for models core does not know). */
export function contextWindowTokens(baseModelId: string): number {
  return modelFacts(baseModelId).contextWindow;
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

/**
 * Resolves any identifier Bedrock accepts as `modelId` (base model id, cross-region profile id, or an
 * ARN of a foundation model, inference profile or application inference profile) to the base model id
 * used for the simulator's tables. `aliases` is consulted first, so it can name any identifier; without an
 * alias, an application inference profile ARN (an opaque id) cannot be resolved, as its model is not in its ARN.
 *
 * @throws BedrockError (ValidationException) when the identifier cannot be resolved
 */
export function resolveBaseModelId(modelId: string, aliases: Readonly<Record<string, string>>): string {
  const id = Object.prototype.hasOwnProperty.call(aliases, modelId) ? aliases[modelId] : modelId;
  const parsed = parseModelId(id);
  if (id.startsWith('arn:') && !parsed.arn) throw invalidModel();
  if (parsed.baseModelId === undefined || parsed.id !== id) throw invalidModel();
  return parsed.baseModelId;
}
