import { BedrockMessages, validationError } from './errors';
import { titanEmbeddingModel } from './models';
import { analysePrompt, ConverseShape } from './prompt';
import { countTokens } from './tokenizer';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Anthropic Messages API blocks ({ type: 'text', text }) mapped onto Converse blocks, so both request
// styles count the same for the same prompt.
function toConverseBlocks(content: unknown): unknown[] {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw validationError(BedrockMessages.malformedInput);
  return content.map((block) => (isObject(block) && block.type === 'text' && typeof block.text === 'string' ? { text: block.text } : { text: JSON.stringify(block) }));
}

function invokeModelBodyTokens(baseModelId: string, encoded: unknown): number {
  if (typeof encoded !== 'string') throw validationError('input.invokeModel.body is required.');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw validationError(BedrockMessages.malformedInput);
  }
  if (!isObject(body)) throw validationError(BedrockMessages.malformedInput);
  if (titanEmbeddingModel(baseModelId) || typeof body.inputText === 'string') return countTokens(String(body.inputText ?? ''));
  if (!Array.isArray(body.messages)) throw validationError(BedrockMessages.malformedInput);
  const shape: ConverseShape = {
    system: body.system === undefined ? undefined : toConverseBlocks(body.system),
    messages: body.messages.map((m: unknown) => (isObject(m) ? { role: m.role, content: toConverseBlocks(m.content) } : m)),
  };
  return analysePrompt(shape).totalTokens;
}

/**
 * Serves CountTokens: `{ input: { converse: {...} } }` or `{ input: { invokeModel: { body } } }`
 * (body base64-encoded, as the SDK sends blobs inside JSON) to `{ inputTokens }`.
 *
 * @throws BedrockError (ValidationException) for malformed input
 */
export function countTokensOperation(baseModelId: string, request: Json): { inputTokens: number } {
  const input = request.input;
  if (!isObject(input)) throw validationError('input is required.');
  const members = Object.keys(input).filter((k) => input[k] !== undefined && input[k] !== null);
  if (members.length !== 1) throw validationError('input must set exactly one of converse or invokeModel.');
  if (isObject(input.converse)) return { inputTokens: analysePrompt(input.converse).totalTokens };
  if (isObject(input.invokeModel)) return { inputTokens: invokeModelBodyTokens(baseModelId, input.invokeModel.body) };
  throw validationError('input must set exactly one of converse or invokeModel.');
}
