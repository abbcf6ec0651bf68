import { METRIC, METRIC_NAMESPACE } from '../../../../shared/contract';
import { PowertoolsRecorder } from '../../../../lambda/pipeline/powertools-recorder';
import type { SpendRecord } from '../../../../lambda/pipeline/stages/record-request';
import { redirectStdout } from '../../../../packages/local/src/demo/stdout-redirect';
import {
  EmfRecord, EmfRecordsByScenario, pageWidgets, parseEmfRecord, percentile, scenarioTotals, widgetValues, WidgetSpec,
} from '../../../../packages/local/src/demo/html';

const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const OPUS = 'us.anthropic.claude-opus-4-5-20251101-v1:0';

/** A served Converse call, as the pipeline records it. */
function call(overrides: Partial<SpendRecord>): SpendRecord {
  return {
    application: 'customer-support', environment: 'development', feature: 'support-chat', path: 'converse', status: 200,
    modelId: HAIKU, usage: { inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0.001, latencyMs: 10, attempts: 1, route: { tier: 'simple', reasons: [] }, responseCache: 'miss', ...overrides,
  };
}

/** The EMF lines the real recorder writes for `records`. */
function emfLines(records: ReadonlyArray<SpendRecord>): string[] {
  const lines: string[] = [];
  const restore = redirectStdout((chunk, _encoding, callback) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.startsWith('{"_aws"')));
    callback?.();
  });
  try {
    const recorder = new PowertoolsRecorder();
    for (const record of records) recorder.record(record);
  } finally {
    restore();
  }
  return lines;
}

function parsed(records: ReadonlyArray<SpendRecord>): EmfRecord[] {
  return emfLines(records).map((line) => parseEmfRecord(line)!);
}

// The page's widgets: the CloudWatch dashboard's, for the demo's workflow (customer-support/support-chat).
const widget = (id: string): WidgetSpec => pageWidgets().find((w) => w.id === id)!;
const WORKFLOW = 'customer-support/support-chat';

describe('EMF records', () => {
  test('a record the recorder wrote reads back as its metrics, dimensions and properties', () => {
    const [record] = parsed([call({ costUsd: 0.0125, latencyMs: 42 })]);
    expect(record.metrics[METRIC.costUsd]).toEqual([0.0125]);
    expect(record.metrics[METRIC.latencyMs]).toEqual([42]);
    expect(record.dimensions).toEqual({ Application: 'customer-support', Feature: 'support-chat', Model: 'anthropic.claude-haiku-4-5-20251001-v1:0' });
    expect(record.properties.route).toBe('simple');
  });

  test('a record of another namespace is left out', () => {
    const line = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Other', Dimensions: [[]], Metrics: [{ Name: 'X' }] }] }, X: 1 });
    expect(parseEmfRecord(line)).toBeUndefined();
  });

  test('fails when a declared metric has no numeric value', () => {
    const line = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: METRIC.costUsd }] }] } });
    expect(() => parseEmfRecord(line)).toThrow(/declares metric CostUSD without a numeric value/);
  });

  test('records are kept per scenario', () => {
    const byScenario = new EmfRecordsByScenario();
    const [a, b] = emfLines([call({}), call({})]);
    byScenario.add('naive', a);
    byScenario.add('optimized', b);
    byScenario.add('optimized', a);
    expect([byScenario.of('naive').length, byScenario.of('optimized').length, byScenario.of('routing').length, byScenario.size]).toEqual([1, 2, 0, 3]);
  });
});

describe('widget values', () => {
  const scenarios = [{ id: 'naive', label: 'Naive' }, { id: 'optimized', label: 'Optimized' }];

  test('money adds up exactly, as the pipeline prices it', () => {
    const records = parsed([call({ costUsd: 0.1 }), call({ costUsd: 0.2 })]);
    expect(scenarioTotals(scenarios[0], records).costUsd).toBe(0.3);
  });

  test('the prompt-cache hit rate is cache reads over all input tokens', () => {
    const records = parsed([call({ usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 900, cacheWriteInputTokens: 90 } })]);
    const values = widgetValues(widget('prompt-cache-hit-rate'), [scenarios[0]], () => records);
    expect(values.series).toEqual([{ label: WORKFLOW, values: [90] }]);
  });

  test('the response-cache hit rate is hits over lookups, 0 without lookups', () => {
    const records: Record<string, EmfRecord[]> = {
      naive: parsed([call({ responseCache: 'off' })]),
      optimized: parsed([call({ responseCache: 'hit', costUsd: 0 }), call({}), call({}), call({})]),
    };
    const values = widgetValues(widget('response-cache-hit-rate'), scenarios, (id) => records[id]);
    expect(values.series).toEqual([{ label: WORKFLOW, values: [0, 25] }]);
  });

  test('a split by property gives one series per value, tiers in routing order', () => {
    const records = parsed([
      call({ route: { tier: 'complex', reasons: [] }, modelId: OPUS }),
      call({ route: { tier: 'simple', reasons: [] } }),
      call({ route: { tier: 'simple', reasons: [] } }),
    ]);
    const values = widgetValues(widget('route-mix'), [scenarios[0]], () => records);
    expect(values.series).toEqual([{ label: 'simple', key: 'simple', values: [2] }, { label: 'complex', key: 'complex', values: [1] }]);
  });

  test('a count by property counts only the records that have it, as Logs Insights filters on ispresent', () => {
    const records = parsed([call({ status: 429, errorCode: 'RATE_LIMITED', costUsd: 0 } as Partial<SpendRecord>), call({})]);
    const values = widgetValues(widget('rejections-by-error-code'), [scenarios[0]], () => records);
    expect(values.series).toEqual([{ label: 'RATE_LIMITED', key: 'RATE_LIMITED', values: [1] }]);
  });

  test('a series reads only its workflow\'s records', () => {
    const records = parsed([call({ costUsd: 0.5 }), call({ costUsd: 0.25, feature: 'ticket-triage' })]);
    const values = widgetValues(widget('cost-per-hour'), [scenarios[0]], () => records);
    expect(values.series).toEqual([{ label: WORKFLOW, values: [0.5] }]);
  });

  test('Maximum is the largest value, 0 without records', () => {
    const records = parsed([call({}), call({})]).map((r, i) => ({ ...r, metrics: { ...r.metrics, InputTokenBound: [i === 0 ? 900 : 4_000] } }));
    const values = widgetValues(widget('largest-request'), scenarios, (id) => (id === 'naive' ? records : []));
    expect(values.series).toEqual([{ label: WORKFLOW, values: [4_000, 0] }]);
  });

  test('a split by dimension gives each model its cost', () => {
    const records = parsed([call({ costUsd: 0.5, modelId: OPUS }), call({ costUsd: 0.25 }), call({ costUsd: 0.25 })]);
    const values = widgetValues(widget('cost-by-model'), [scenarios[0]], () => records);
    expect(values.series).toEqual([
      { label: 'anthropic.claude-haiku-4-5-20251001-v1:0', key: 'anthropic.claude-haiku-4-5-20251001-v1:0', values: [0.5] },
      { label: 'anthropic.claude-opus-4-5-20251101-v1:0', key: 'anthropic.claude-opus-4-5-20251101-v1:0', values: [0.5] },
    ]);
  });

  test('several split series are labelled with their own label and the value', () => {
    const records = parsed([call({ modelId: OPUS })]);
    const values = widgetValues(widget('tokens-by-model'), [scenarios[0]], () => records);
    expect(values.series).toEqual([
      { label: 'input anthropic.claude-opus-4-5-20251101-v1:0', key: 'anthropic.claude-opus-4-5-20251101-v1:0', values: [100] },
      { label: 'output anthropic.claude-opus-4-5-20251101-v1:0', key: 'anthropic.claude-opus-4-5-20251101-v1:0', values: [50] },
    ]);
  });

  test('percentiles are nearest-rank: p50 and p99 of 1..100 are 50 and 99', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(values, 50), percentile(values, 99), percentile([7], 99), percentile([], 50)]).toEqual([50, 99, 7, 0]);
  });
});
