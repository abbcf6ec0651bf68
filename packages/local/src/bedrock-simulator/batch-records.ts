import { batchFormat, type BatchModelFamily as CoreBatchModelFamily } from '../../../../shared/core';
import { converse } from './converse';
import { BedrockError } from './errors';
import { sha256Hex } from './random';
import { PromptCache } from './prompt-cache';

/*
 * One record of a batch inference job, answered like InvokeModel would answer it: the `modelInput` is the model's
 * native request body (Anthropic Messages API or Amazon Nova messages-v1), the `modelOutput` its native response
 * body. The answer and usage come from the runtime simulator's Converse, so a prompt costs the same tokens whether it
 * runs on demand or in a batch.
 */

type Json = Record<string, unknown>;

/** A line of the job's output file: `modelOutput` on success, `error` otherwise (Bedrock's batch output format). */
export interface BatchOutputLine {
  readonly recordId: string;
  readonly modelInput: unknown;
  readonly modelOutput?: Json;
  readonly error?: { readonly errorCode: number; readonly errorMessage: string };
}

/** The native request formats the simulator can answer in a batch. */
export type BatchModelFamily = CoreBatchModelFamily;

/** Which native format a base model id speaks, or undefined when the simulator does not batch it (core's rule). */
export function batchModelFamily(baseModelId: string): BatchModelFamily | undefined {
  return batchFormat(baseModelId);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class RecordError extends Error {}

function fail(message: string): never {
  throw new RecordError(message);
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${field} must be an integer of at least 1.`);
  return value;
}

/** Anthropic Messages API content (a string or text blocks) as Converse text blocks. */
function anthropicContent(content: unknown, where: string): Array<{ text: string }> {
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content) || content.length === 0) fail(`${where}.content must be a string or a non-empty list of blocks.`);
  return content.map((block, i) => {
    if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
      fail(`${where}.content[${i}] must be a text block ({"type": "text", "text": ...}); the simulator answers text only.`);
    }
    return { text: block.text };
  });
}

function anthropicToConverse(input: Json): Json {
  if (input.anthropic_version !== 'bedrock-2023-05-31') fail("anthropic_version must be 'bedrock-2023-05-31'.");
  const maxTokens = positiveInteger(input.max_tokens, 'max_tokens');
  if (!Array.isArray(input.messages) || input.messages.length === 0) fail('messages must be a non-empty list.');
  const messages = input.messages.map((message, i) => {
    if (!isObject(message)) fail(`messages[${i}] must be an object.`);
    return { role: message.role, content: anthropicContent(message.content, `messages[${i}]`) };
  });
  let system: Array<{ text: string }> | undefined;
  if (input.system !== undefined) system = typeof input.system === 'string' ? [{ text: input.system }] : anthropicContent(input.system, 'system');
  const stops = input.stop_sequences;
  return { system, messages, inferenceConfig: { maxTokens, ...(stops !== undefined ? { stopSequences: stops } : {}) } };
}

function novaToConverse(input: Json): Json {
  if (input.schemaVersion !== undefined && input.schemaVersion !== 'messages-v1') fail("schemaVersion must be 'messages-v1'.");
  const config = isObject(input.inferenceConfig) ? input.inferenceConfig : {};
  const maxTokens = config.maxTokens === undefined ? undefined : positiveInteger(config.maxTokens, 'inferenceConfig.maxTokens');
  return {
    system: input.system,
    messages: input.messages,
    inferenceConfig: { ...(maxTokens !== undefined ? { maxTokens } : {}), ...(config.stopSequences !== undefined ? { stopSequences: config.stopSequences } : {}) },
  };
}

const ANTHROPIC_STOP: Record<string, string> = { end_turn: 'end_turn', max_tokens: 'max_tokens', stop_sequence: 'stop_sequence' };

/**
 * Answers one batch record for `baseModelId`. Never throws for a bad record: Bedrock reports those in the output
 * file with an `error` object (its validation does not check that `modelInput` matches the model).
 */
export function answerBatchRecord(baseModelId: string, recordId: string, modelInput: unknown, cache: PromptCache): BatchOutputLine {
  const family = batchModelFamily(baseModelId);
  try {
    if (!family) fail(`The simulator does not answer batch records for ${baseModelId}.`);
    if (!isObject(modelInput)) fail('modelInput must be a JSON object.');
    const request = family === 'anthropic' ? anthropicToConverse(modelInput) : novaToConverse(modelInput);
    const outcome = converse({ baseModelId, cache, latencyMs: 0 }, request);
    const body = outcome.body as { output: { message: { content: Array<{ text: string }> } }; stopReason: string };
    const text = body.output.message.content.map((c) => c.text).join('');
    const { inputTokens, outputTokens } = outcome.usage;
    const modelOutput: Json = family === 'anthropic'
      ? {
        id: `msg_bdrk_${sha256Hex('batch', baseModelId, recordId, text).slice(0, 24)}`,
        type: 'message',
        role: 'assistant',
        model: baseModelId.slice(baseModelId.indexOf('.') + 1).replace(/-v\d+(?::\d+)?$/, ''),
        content: [{ type: 'text', text }],
        stop_reason: ANTHROPIC_STOP[body.stopReason] ?? 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      }
      : {
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: body.stopReason,
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      };
    return { recordId, modelInput, modelOutput };
  } catch (error) {
    if (error instanceof RecordError || error instanceof BedrockError) {
      return { recordId, modelInput, error: { errorCode: 400, errorMessage: error.message } };
    }
    throw error;
  }
}
