import type { ContentBlock, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { GenAiRequest, TokenEstimate } from '../types';

/** The Converse prompt: system blocks and messages. */
export interface ConversePrompt {
  readonly system: SystemContentBlock[];
  readonly messages: Message[];
  /** How many cache points were placed. */
  readonly cachePoints: number;
}

const CACHE_POINT = { cachePoint: { type: 'default' } } as SystemContentBlock;

/** The system block that carries a request's knowledge-base context (the demo's prediction counts its tokens). */
export const contextBlockText = (context: string): string => `Use this knowledge-base context to answer:\n<context>\n${context}\n</context>`;

/**
 * Stage 8 — build the prompt and place Bedrock prompt-cache points after the stable prefix: after the system
 * prompt, and after the knowledge-base context, each only when the prefix up to it reaches the model's minimum
 * cacheable size. Below the minimum a cache point does nothing but a model without caching rejects it, so none
 * is placed; `minCacheTokens` undefined means the model has no prompt caching.
 */
export function buildPrompt(
  request: GenAiRequest,
  systemPrompt: string | undefined,
  estimate: TokenEstimate,
  minCacheTokens: number | undefined,
): ConversePrompt {
  const system: SystemContentBlock[] = [];
  let cachePoints = 0;
  const canCache = (prefixTokens: number) => minCacheTokens !== undefined && prefixTokens >= minCacheTokens;

  if (systemPrompt) {
    system.push({ text: systemPrompt });
    if (canCache(estimate.system)) {
      system.push(CACHE_POINT);
      cachePoints++;
    }
  }
  if (request.context) {
    system.push({ text: contextBlockText(request.context) });
    // Worth a second point only when the context adds to a prefix that is itself cacheable.
    if (canCache(estimate.system + estimate.context) && estimate.context > 0) {
      system.push(CACHE_POINT);
      cachePoints++;
    }
  }

  const messages: Message[] = request.history.map((turn) => ({ role: turn.role, content: [{ text: turn.content } as ContentBlock] }));
  messages.push({ role: 'user', content: [{ text: request.message }] });
  return { system, messages, cachePoints };
}
