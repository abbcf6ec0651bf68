import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRIC } from '../../../shared/contract';
import { dashboardWidgetSpecs, PROMPT_CACHE_HIT_RATE_TARGET } from '../../../lib/observability/dashboard-spec';

describe('dashboardWidgetSpecs', () => {
  const specs = dashboardWidgetSpecs([
    { application: 'support', feature: 'chat', handler: true, deadLetterQueue: true, logs: true, degrades: true, throttles: true, usesUsageLedger: true },
    { application: 'support', feature: 'search' },
  ]);

  test('gives every widget a unique id and rows 24 columns wide', () => {
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    const rows: number[] = [];
    for (const s of specs) {
      if (s.kind === 'text') rows.push(0);
      rows[rows.length - 1] += s.kind === 'text' ? 0 : s.width;
    }
    expect(rows.every((width) => width === 24)).toBe(true);
  });

  test('names only contract metrics for the pipeline\'s and the usage ledger\'s series', () => {
    const names = new Set<string>(Object.values(METRIC));
    expect(specs.some((s) => s.id === 'degraded-throttled') && specs.some((s) => s.id === 'usage-ledger')).toBe(true);
    for (const series of specs.flatMap((s) => s.metrics).filter((m) => m.source === 'pipeline' || m.source === 'usageLedger')) {
      for (const name of series.ratio ? [...series.ratio.numerator, ...series.ratio.denominator] : [series.name!]) expect(names.has(name)).toBe(true);
    }
  });

  test('draws the prompt-cache target and the content-length alert as annotations', () => {
    expect(specs.find((s) => s.id === 'prompt-cache-hit-rate')!.annotations).toEqual([{ label: 'Target 90 %', value: PROMPT_CACHE_HIT_RATE_TARGET * 100 }]);
    expect(specs.find((s) => s.id === 'largest-request')!.annotations![0].value).toBe(20_000);
  });

  test('ends with the guardrails row, where widgets added later land', () => {
    const headers = specs.filter((s) => s.kind === 'text').map((s) => s.id);
    expect(headers[headers.length - 1]).toBe('guardrails-header');
  });

  test('is pure: the module imports no aws-cdk-lib and no AWS SDK', () => {
    const source = fs.readFileSync(path.join(__dirname, '../../../lib/observability/dashboard-spec.ts'), 'utf8');
    expect(source.match(/from '([^']+)'/g)).toEqual(["from '../../shared/contract'"]);
  });
});
