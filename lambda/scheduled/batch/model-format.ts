import { batchFormat, type BatchModelFamily } from '../../../shared/core';
import type { Usage } from '../../pipeline/types';

/*
 * Batch jobs run InvokeModel, so each record carries the model's native request body and each output line its
 * native response body. Two families are supported: Anthropic Claude (Messages API) and Amazon Nova (messages-v1);
 * which model is which is decided by core's model facts, the same rule the simulator serves batch jobs by.
 */

export type { BatchModelFamily } from '../../../shared/core';

/** The answer read from one output record. */
export interface BatchAnswer {
  readonly answer: string;
  readonly stopReason: string;
  readonly usage: Usage;
}

/** The family of a model id, inference profile id or ARN, or undefined when batch records cannot be written for it. */
export function batchModelFamily(modelId: string): BatchModelFamily | undefined {
  return batchFormat(modelId);
}

/** The `modelInput` of one record: the instructions, the record's text and the output cap, in the model's format. */
export function modelInputFor(family: BatchModelFamily, systemPrompt: string, text: string, maxTokens: number): Record<string, unknown> {
  if (family === 'anthropic') {
    return {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: maxTokens,
      system: systemPrompt,
      messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    };
  }
  return {
    schemaVersion: 'messages-v1',
    system: [{ text: systemPrompt }],
    messages: [{ role: 'user', content: [{ text }] }],
    inferenceConfig: { maxTokens },
  };
}

type Json = Record<string, any>;

function count(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`${field} is not a token count: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Reads the answer and usage from a `modelOutput`, whichever of the two formats it is in.
 * @throws TypeError when the output is in neither format or its usage is unreadable
 */
export function readModelOutput(output: unknown): BatchAnswer {
  const o = output as Json;
  if (o && Array.isArray(o.content) && o.usage && typeof o.usage === 'object' && 'input_tokens' in o.usage) {
    // Anthropic: input_tokens excludes cache reads and writes, as Bedrock's inputTokens does.
    return {
      answer: o.content.filter((b: Json) => b?.type === 'text').map((b: Json) => String(b.text ?? '')).join(''),
      stopReason: String(o.stop_reason ?? 'unknown'),
      usage: {
        inputTokens: count(o.usage.input_tokens, 'usage.input_tokens'),
        outputTokens: count(o.usage.output_tokens, 'usage.output_tokens'),
        cacheReadInputTokens: count(o.usage.cache_read_input_tokens, 'usage.cache_read_input_tokens'),
        cacheWriteInputTokens: count(o.usage.cache_creation_input_tokens, 'usage.cache_creation_input_tokens'),
      },
    };
  }
  if (o && o.output?.message && Array.isArray(o.output.message.content) && o.usage && typeof o.usage === 'object') {
    return {
      answer: o.output.message.content.map((b: Json) => String(b?.text ?? '')).join(''),
      stopReason: String(o.stopReason ?? 'unknown'),
      usage: {
        inputTokens: count(o.usage.inputTokens, 'usage.inputTokens'),
        outputTokens: count(o.usage.outputTokens, 'usage.outputTokens'),
        cacheReadInputTokens: count(o.usage.cacheReadInputTokenCount ?? o.usage.cacheReadInputTokens, 'usage.cacheReadInputTokenCount'),
        cacheWriteInputTokens: count(o.usage.cacheWriteInputTokenCount ?? o.usage.cacheWriteInputTokens, 'usage.cacheWriteInputTokenCount'),
      },
    };
  }
  throw new TypeError('modelOutput is neither an Anthropic Messages nor an Amazon Nova response body');
}
