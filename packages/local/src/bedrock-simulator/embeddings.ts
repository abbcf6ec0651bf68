import { BedrockError, BedrockMessages, inputTooLongError, validationError } from './errors';
import { contextWindowTokens, TitanEmbeddingModel, titanEmbeddingModel } from './models';
import { seedOf, seededRandom } from './random';
import { countTokens } from './tokenizer';

const V1_DIMENSIONS = 1536;
const V2_DIMENSIONS = [256, 512, 1024] as const;
const V2_DEFAULT_DIMENSIONS = 1024;
const V2_KEYS = new Set(['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
const BIGRAM_WEIGHT = 0.5;

/** An InvokeModel response for a Titan embeddings model. */
export interface EmbeddingOutcome {
  /** The JSON response body. */
  readonly body: Record<string, unknown>;
  /** `inputTextTokenCount`, for usage headers and the call log. */
  readonly inputTokens: number;
}

function extraneousKey(key: string): BedrockError {
  return validationError(`Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
}

// A hashing-trick embedding: every word and word pair adds a pseudo-random vector seeded by its text.
// Identical texts get identical vectors, and texts sharing words point in similar directions, which is
// what a semantic cache needs from a stand-in embedding model.
function embed(text: string, dimensions: number): number[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text];
  const features: Array<[string, number]> = words.map((w) => [w, 1]);
  for (let i = 1; i < words.length; i++) features.push([`${words[i - 1]} ${words[i]}`, BIGRAM_WEIGHT]);
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, weight] of features) {
    const random = seededRandom(seedOf('embedding', feature));
    for (let d = 0; d < dimensions; d++) vector[d] += weight * (random() * 2 - 1);
  }
  const scale = 1 / Math.sqrt(features.length);
  return vector.map((v) => v * scale);
}

function unitLength(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return norm === 0 ? vector : vector.map((v) => v / norm);
}

function parseBody(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw validationError(BedrockMessages.malformedInput);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw validationError(BedrockMessages.malformedInput);
  return parsed as Record<string, unknown>;
}

function readDimensions(model: TitanEmbeddingModel, value: unknown): number {
  if (model === 'v1') return V1_DIMENSIONS;
  if (value === undefined) return V2_DEFAULT_DIMENSIONS;
  if (!V2_DIMENSIONS.includes(value as (typeof V2_DIMENSIONS)[number])) {
    throw validationError(`Malformed input request: #/dimensions: ${String(value)} is not a valid enum value, please reformat your input and try again.`);
  }
  return value as number;
}

function readEmbeddingTypes(value: unknown): ReadonlyArray<'float' | 'binary'> {
  if (value === undefined) return ['float'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((t) => t === 'float' || t === 'binary')) {
    throw validationError("Malformed input request: #/embeddingTypes: expected a non-empty list of 'float' or 'binary', please reformat your input and try again.");
  }
  return value;
}

/**
 * Serves InvokeModel for Amazon Titan Text Embeddings v1 and v2 with Titan's request and response bodies.
 *
 * @throws BedrockError (ValidationException) for other models or bodies Titan would reject
 */
export function invokeEmbeddings(baseModelId: string, rawBody: Buffer): EmbeddingOutcome {
  const model = titanEmbeddingModel(baseModelId);
  if (!model) {
    throw validationError(
      `The simulator serves InvokeModel only for Amazon Titan Text Embeddings (amazon.titan-embed-text-v1, amazon.titan-embed-text-v2:0); use Converse for '${baseModelId}'.`,
    );
  }
  const body = parseBody(rawBody);
  for (const key of Object.keys(body)) {
    if (model === 'v1' ? key !== 'inputText' : !V2_KEYS.has(key)) throw extraneousKey(key);
  }
  const inputText = body.inputText;
  if (typeof inputText !== 'string' || inputText.length === 0) {
    throw validationError('Malformed input request: #/inputText: expected minLength: 1, please reformat your input and try again.');
  }
  const dimensions = readDimensions(model, body.dimensions);
  if (body.normalize !== undefined && typeof body.normalize !== 'boolean') {
    throw validationError('Malformed input request: #/normalize: expected type: Boolean, please reformat your input and try again.');
  }
  const types = readEmbeddingTypes(body.embeddingTypes);
  const inputTokens = countTokens(inputText);
  if (inputTokens > contextWindowTokens(baseModelId)) throw inputTooLongError();

  const raw = embed(inputText, dimensions);
  // v1 has no normalize option and returns raw vectors; v2 normalises unless told not to.
  const embedding = model === 'v2' && body.normalize !== false ? unitLength(raw) : raw;
  if (model === 'v1') return { body: { embedding, inputTextTokenCount: inputTokens }, inputTokens };
  const embeddingsByType: Record<string, number[]> = {};
  if (types.includes('float')) embeddingsByType.float = embedding;
  if (types.includes('binary')) embeddingsByType.binary = embedding.map((v) => (v > 0 ? 1 : 0));
  return { body: { embedding, inputTextTokenCount: inputTokens, embeddingsByType }, inputTokens };
}
