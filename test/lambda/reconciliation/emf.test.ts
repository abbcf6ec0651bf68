import { RECONCILIATION_METRIC } from '../../../shared/contract/reconciliation';
import { reconcile } from '../../../shared/queries/reconciliation-verdict';
import { reconciliationEmfLines } from '../../../lambda/reconciliation/emf';

const NOW = new Date('2026-03-12T07:00:00Z');

function summaryOf(unmeteredUsd: number, minimumUsd: number): Record<string, any> {
  const report = reconcile([
    { kind: 'feature', application: 'support', feature: 'chat', model: 'm', meteredUsd: 0.004, billedUsd: 0.004 },
    { kind: 'unmetered', application: null, feature: null, model: null, meteredUsd: 0, billedUsd: unmeteredUsd },
  ], { day: '2026-03-10', thresholdPercent: 2, minimumUsd });
  const lines = reconciliationEmfLines(report, NOW).map((l) => JSON.parse(l));
  return lines.find((l) => l[RECONCILIATION_METRIC.unmeteredPercent] !== undefined)!;
}

describe('the reconciliation\'s EMF summary', () => {
  test('unmetered spend under the minimum publishes a 0 % share, so the alarm does not fire on cents', () => {
    // $0.006 of $0.010 billed is 60 %, but under the $0.01 minimum: not judged in the report, 0 for the alarm.
    const summary = summaryOf(0.006, 0.01);
    expect(summary[RECONCILIATION_METRIC.unmeteredPercent]).toBe(0);
    expect(summary[RECONCILIATION_METRIC.unmeteredUsd]).toBeCloseTo(0.006, 9);
  });

  test('unmetered spend at or above the minimum publishes its share of the bill', () => {
    const summary = summaryOf(0.006, 0.005);
    expect(summary[RECONCILIATION_METRIC.unmeteredPercent]).toBeCloseTo((100 * 0.006) / 0.01, 6);
  });
});
