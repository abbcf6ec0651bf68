import { classifyComplexity, estimateTokens, modelFacts } from '../../shared/core';
import { countTokens } from '../../packages/local/src/bedrock-simulator';
import { normalizeConfig } from '../../lambda/pipeline/config';
import { validateRequest } from '../../lambda/pipeline/stages/validate-request';
import { KNOWLEDGE_BASE } from '../../packages/local/src/demo/knowledge-base';
import { allVariants, MessageClass, questionTemplates } from '../../packages/local/src/demo/questions';
import { SYSTEM_PROMPT_TOKENS, supportSystemPrompt } from '../../packages/local/src/demo/system-prompt';
import { generateWorkload, requestKey, WorkloadRequest } from '../../packages/local/src/demo/workload';

const workload = generateWorkload({ requests: 1000, seed: 42 });
const historyTokens = (r: WorkloadRequest) => r.body.history.reduce((sum, turn) => sum + estimateTokens(turn.content), 0);
const share = (predicate: (r: WorkloadRequest) => boolean) => workload.filter(predicate).length / workload.length;

describe('demo workload', () => {
  test('mixes simple, medium and complex messages 70/25/5 within tolerance', () => {
    expect(share((r) => r.messageClass === 'simple')).toBeGreaterThan(0.65);
    expect(share((r) => r.messageClass === 'simple')).toBeLessThan(0.75);
    expect(share((r) => r.messageClass === 'medium')).toBeGreaterThan(0.2);
    expect(share((r) => r.messageClass === 'medium')).toBeLessThan(0.3);
    expect(share((r) => r.messageClass === 'complex')).toBeGreaterThan(0.03);
    expect(share((r) => r.messageClass === 'complex')).toBeLessThan(0.07);
  });

  test('every question variant routes to the tier of its class', () => {
    for (const cls of ['simple', 'medium', 'complex'] as MessageClass[]) {
      for (const template of questionTemplates(cls)) {
        for (const message of allVariants(template)) {
          expect({ message, tier: classifyComplexity({ message }).tier }).toEqual({ message, tier: cls });
        }
      }
    }
  });

  test('sends a system prompt that the 4.5 models can cache (at least their 4,096-token minimum) with every request', () => {
    const system = supportSystemPrompt();
    expect(countTokens(system)).toBeGreaterThanOrEqual(modelFacts('anthropic.claude-opus-4-5-20251101-v1:0').minCacheTokens!);
    expect(countTokens(system)).toBeLessThanOrEqual(SYSTEM_PROMPT_TOKENS);
    expect(workload.every((r) => r.body.system === system)).toBe(true);
  });

  test('sends three knowledge-base chunks (~1,200 tokens) drawn from a small fixed base, so contexts repeat', () => {
    const sizes = workload.map((r) => estimateTokens(r.body.context));
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(1_050);
    expect(mean).toBeLessThan(1_350);
    for (const r of workload.slice(0, 50)) {
      expect(KNOWLEDGE_BASE.filter((chunk) => r.body.context.includes(chunk.text))).toHaveLength(3);
    }
    expect(new Set(workload.map((r) => r.body.context)).size).toBeLessThanOrEqual(KNOWLEDGE_BASE.length);
  });

  test('carries 0 to 5 exchanges of history, about 2,000 tokens when present', () => {
    const withHistory = workload.filter((r) => r.body.history.length > 0);
    expect(withHistory.length / workload.length).toBeGreaterThan(0.4);
    expect(withHistory.length).toBeLessThan(workload.length);
    for (const r of withHistory) {
      expect(r.body.history.length / 2).toBe(r.exchanges);
      expect(r.exchanges).toBeLessThanOrEqual(5);
      expect(historyTokens(r)).toBeGreaterThan(1_800);
      expect(historyTokens(r)).toBeLessThan(2_300);
    }
  });

  test('about 30% of the requests repeat an earlier request of the same tenant exactly', () => {
    const seen = new Map<string, number>();
    let repeats = 0;
    for (const r of workload) {
      const key = requestKey(r.body);
      if (seen.has(key)) {
        repeats++;
        const original = workload[seen.get(key)!];
        expect(original.tenantId).toBe(r.tenantId);
        expect(r.repeatOf).toBeDefined();
      } else {
        seen.set(key, r.index);
        expect(r.repeatOf).toBeUndefined();
      }
    }
    expect(repeats / workload.length).toBeGreaterThan(0.25);
    expect(repeats / workload.length).toBeLessThan(0.35);
  });

  test('comes from several tenants', () => {
    expect(new Set(workload.map((r) => r.tenantId)).size).toBeGreaterThanOrEqual(4);
  });

  test('is the same for the same seed and differs for another seed', () => {
    expect(generateWorkload({ requests: 120, seed: 7 })).toEqual(generateWorkload({ requests: 120, seed: 7 }));
    const other = generateWorkload({ requests: 120, seed: 8 });
    expect(other.map((r) => r.body.message)).not.toEqual(generateWorkload({ requests: 120, seed: 7 }).map((r) => r.body.message));
  });

  test('every request is a body the API accepts', () => {
    const config = normalizeConfig({ tiers: { simple: { invokeId: 'm', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' } } });
    for (const r of workload.slice(0, 200)) {
      const request = validateRequest(JSON.parse(JSON.stringify(r.body)), { requestId: `r${r.index}` }, config);
      expect(request.tenantId).toBe(r.tenantId);
      expect(request.history).toHaveLength(r.body.history.length);
    }
  });
});
