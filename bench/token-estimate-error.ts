import { estimateTokens } from '../lambda/core';
import { countTokens } from '../local/bedrock-simulator';
import { generateWorkload } from '../local/demo/workload';
import { round } from './stats';

/**
 * How far the runtime's token estimate is from a tokenizer, per part of the demo's prompts. The reference is the
 * Bedrock simulator's tokenizer (a BPE-like word-piece count), not a real model's: real tokenizers cannot run here.
 * Positive error = over-estimate, which is the safe side for a prompt-size limit.
 */
export function measureTokenEstimateError() {
  const workload = generateWorkload({ requests: 200, seed: 7 });
  const parts: Record<string, Array<[number, number]>> = { system: [], context: [], history: [], message: [] };
  for (const { body } of workload) {
    if (body.system) parts.system.push([estimateTokens(body.system), countTokens(body.system)]);
    if (body.context) parts.context.push([estimateTokens(body.context), countTokens(body.context)]);
    for (const turn of body.history ?? []) parts.history.push([estimateTokens(turn.content), countTokens(turn.content)]);
    parts.message.push([estimateTokens(body.message), countTokens(body.message)]);
  }
  const summary: Record<string, unknown> = {};
  for (const [name, pairs] of Object.entries(parts)) {
    const errors = pairs.map(([estimate, actual]) => (estimate - actual) / actual);
    summary[name] = {
      samples: pairs.length,
      meanErrorPct: round((100 * errors.reduce((a, e) => a + e, 0)) / errors.length, 1),
      minErrorPct: round(100 * Math.min(...errors), 1),
      maxErrorPct: round(100 * Math.max(...errors), 1),
    };
  }
  return { reference: 'Bedrock simulator tokenizer', ...summary };
}
