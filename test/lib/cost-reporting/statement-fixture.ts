/**
 * A month of meter records for two tenants whose statements are worked out by hand (STATEMENT_EXPECTED), written by
 * the real recorder (Powertools Metrics), with records either side of the month, a refusal, a response-cache hit, a
 * guard event record and another namespace's record the statement must leave out.
 */
import type { SpendRecord } from '../../../lambda/pipeline/stages/record-request';
import { otherNamespaceLine, recordedEmfLines, recordGuardEvent } from './meter-emf';

export const MONTH = '2026-11';
const START = Date.parse('2026-11-01T00:00:00Z');
const END = Date.parse('2026-12-01T00:00:00Z');
export const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
export const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
export const TITAN = 'amazon.titan-embed-text-v2:0';

interface Call {
  readonly at: number;
  readonly tenantId: string;
  readonly feature: string;
  readonly model?: string;
  readonly tokens?: [number, number, number, number]; // input, output, cache read, cache write
  readonly costUsd?: number;
  readonly savedUsd?: number;
  readonly status?: number;
  readonly path?: SpendRecord['path'];
}

const CALLS: readonly Call[] = [
  // acme: the first millisecond of the month counts
  { at: START, tenantId: 'acme', feature: 'chat', model: HAIKU, tokens: [1000, 200, 0, 0], costUsd: 0.002 },
  { at: START + 86_400_000, tenantId: 'acme', feature: 'chat', model: HAIKU, tokens: [500, 100, 2000, 0], costUsd: 0.0009 },
  { at: START + 2 * 86_400_000, tenantId: 'acme', feature: 'chat', model: HAIKU, tokens: [0, 0, 0, 0], costUsd: 0, savedUsd: 0.002 },
  { at: START + 3 * 86_400_000, tenantId: 'acme', feature: 'summarize', model: SONNET, tokens: [3000, 500, 0, 1200], costUsd: 0.024 },
  { at: START + 4 * 86_400_000, tenantId: 'acme', feature: 'chat', status: 429 },
  // globex: the last millisecond of the month counts
  { at: END - 1, tenantId: 'globex', feature: 'chat', model: HAIKU, tokens: [800, 300, 0, 0], costUsd: 0.0023 },
  { at: START + 5 * 86_400_000, tenantId: 'globex', feature: 'search', model: TITAN, tokens: [400, 0, 0, 0], costUsd: 0.000008, path: 'embedding' },
  // outside the month: the millisecond before it and the one after it
  { at: START - 1, tenantId: 'acme', feature: 'chat', model: HAIKU, tokens: [9, 9, 9, 9], costUsd: 5 },
  { at: END, tenantId: 'globex', feature: 'chat', model: HAIKU, tokens: [9, 9, 9, 9], costUsd: 7 },
];

/** The statements, by hand from the calls above. */
export const STATEMENT_EXPECTED = {
  acme: {
    requests: 5, answeredRequests: 4, cacheHits: 1, refusedRequests: 1, failedRequests: 0,
    inputTokens: 4500, outputTokens: 800, cacheReadTokens: 2000, cacheWriteTokens: 1200,
    costUsd: 0.0269, savedUsd: 0.002,
    lines: {
      [`chat/${HAIKU}`]: { requests: 3, inputTokens: 1500, outputTokens: 300, cacheReadTokens: 2000, cacheWriteTokens: 0, costUsd: 0.0029, savedUsd: 0.002 },
      [`summarize/${SONNET}`]: { requests: 1, inputTokens: 3000, outputTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 1200, costUsd: 0.024, savedUsd: 0 },
      'chat/none': { requests: 1, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, savedUsd: 0 },
    },
  },
  globex: {
    requests: 2, answeredRequests: 2, cacheHits: 0, refusedRequests: 0, failedRequests: 0,
    inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0,
    costUsd: 0.002308, savedUsd: 0,
    lines: {
      [`chat/${HAIKU}`]: { requests: 1, inputTokens: 800, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0023, savedUsd: 0 },
      [`search/${TITAN}`]: { requests: 1, inputTokens: 400, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.000008, savedUsd: 0 },
    },
  },
} as const;

/** The meter's EMF lines: the recorder's, with the clock at each call's time, then a guard event and a foreign record. */
export function statementMeterLines(): string[] {
  const lines = recordedEmfLines((recorder, clockAt) => {
    for (const call of CALLS) {
      clockAt(call.at);
      recorder.record(recordOf(call));
    }
    clockAt(START + 1000);
    recordGuardEvent(recorder, { kind: 'failOpen', scope: 'tenant', window: 'month', tenantId: 'acme', userId: 'u-1', feature: 'chat', error: 'timeout' });
  });
  return [...lines, otherNamespaceLine(START + 2000, { tenantId: 'acme' })];
}

function recordOf(call: Call): SpendRecord {
  const status = call.status ?? 200;
  const [inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens] = call.tokens ?? [0, 0, 0, 0];
  return {
    application: 'support-bot', environment: 'prod', feature: call.feature, path: call.path ?? 'converse', status,
    tenantId: call.tenantId, userId: 'u-1', requestId: `r-${call.at}`,
    ...(status < 400
      ? {
        modelId: call.model, costUsd: call.costUsd, priced: 'catalog' as const, attempts: call.savedUsd !== undefined ? 0 : 1,
        usage: { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } as SpendRecord['usage'],
        ...(call.savedUsd !== undefined ? { responseCache: 'hit' as const, savedUsd: call.savedUsd } : {}),
      }
      : { errorCode: 'TenantQuotaExceeded' }),
  };
}
