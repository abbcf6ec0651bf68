import { performance } from 'node:perf_hooks';
import { normalizeConfig } from '../lambda/pipeline/config';
import { capOutputTokens, enforcePromptLimit } from '../lambda/pipeline/stages/enforce-limits';
import { estimateRequestTokens } from '../lambda/pipeline/stages/estimate-tokens';
import { buildPrompt } from '../lambda/pipeline/stages/prompt-cache';
import { responseCacheKey } from '../lambda/pipeline/stages/response-cache';
import { routeModel } from '../lambda/pipeline/stages/route-model';
import { validateRequest } from '../lambda/pipeline/stages/validate-request';
import { percentile, round } from './stats';

const SENTENCE = 'Customers on the annual plan can change their billing address from the account page, and refunds are issued to the original payment method within five business days. ';

/** A request of about `tokens` input tokens: system prompt, context, history and message in article-like shares. */
export function requestBody(tokens: number): Record<string, unknown> {
  const chars = (n: number) => SENTENCE.repeat(Math.ceil((n * 4) / SENTENCE.length)).slice(0, n * 4);
  return {
    tenantId: 'customer-123',
    userId: 'user-42',
    system: chars(Math.round(tokens * 0.5)),
    context: chars(Math.round(tokens * 0.2)),
    history: [
      { role: 'user', content: chars(Math.round(tokens * 0.14)) },
      { role: 'assistant', content: chars(Math.round(tokens * 0.14)) },
    ],
    message: 'How do I change the billing address on my account, and when will the refund for order 4711 arrive?',
  };
}

/**
 * CPU-only time of the pipeline stages that run on every request (validate, estimate, limit, cap, route, cache
 * key, prompt build) for one ~8K-token prompt: no I/O, so the figure is the runtime's own cost per request.
 */
export function measureCpuStages(iterations = 2000, tokens = 8000) {
  const config = normalizeConfig({
    tiers: {
      simple: { invokeId: 'anthropic.claude-haiku-4-5-20251001-v1:0', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' },
      medium: { invokeId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
    },
    responseCache: { tableName: 't', ttlSeconds: 3600, namespace: 'v1' },
  });
  // Parsed from JSON text, as the handler receives it (flat strings, not the slices the generator builds). The system
  // prompt is the same on every request, as a workflow's is; the context, history and message differ each time.
  const template = requestBody(tokens);
  let n = 0;
  const once = () => {
    n++;
    const body = JSON.parse(JSON.stringify({
      ...template,
      context: `${n} ${template.context as string}`,
      history: (template.history as Array<{ role: string; content: string }>).map((t) => ({ ...t, content: `${n} ${t.content}` })),
      message: `${template.message as string} (${n})`,
    }));
    const request = validateRequest(body, { requestId: 'bench' }, config);
    const estimate = estimateRequestTokens(request, request.systemPrompt);
    const limits = config.features[request.feature];
    enforcePromptLimit(estimate, { ...limits, maxInputTokens: 100_000 }, request.feature);
    const maxTokens = capOutputTokens(request, limits);
    const route = routeModel(request, config, estimate.message);
    responseCacheKey('v1', request, request.systemPrompt, route.modelId, maxTokens);
    buildPrompt(request, request.systemPrompt, estimate, 1024);
    return estimate.total;
  };
  for (let i = 0; i < 200; i++) once();
  const samples: number[] = [];
  let estimated = 0;
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    estimated = once();
    samples.push(performance.now() - start);
  }
  // The JSON round trip that makes each request new is the handler's parse, not a pipeline stage: measured apart
  // and taken off, so the figure is the stages' own.
  const parseSamples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    JSON.parse(JSON.stringify({ ...template, message: `${template.message as string} (${i})` }));
    parseSamples.push(performance.now() - start);
  }
  const parse = percentile(parseSamples, 50);
  return {
    promptChars: JSON.stringify(template).length,
    estimatedTokens: estimated,
    p50Ms: round(percentile(samples, 50) - parse, 4),
    p99Ms: round(percentile(samples, 99) - parse, 4),
    jsonRoundTripP50Ms: round(parse, 4),
  };
}
