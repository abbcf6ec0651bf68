import { RECONCILIATION_DIMENSIONS, RECONCILIATION_METRIC, RECONCILIATION_NAMESPACE } from '../../shared/contract/reconciliation';
import type { ReconciliationReport } from '../../shared/queries/reconciliation-verdict';

/**
 * The report as EMF lines: one per judged feature (drift, dimensions Application and Feature) and one summary
 * without dimensions (largest drift, unmetered spend), which the alarms watch. Written to stdout, EMF costs no
 * PutMetricData permission and no API call. The metrics carry the run's time: CloudWatch keeps alarms on recent
 * data, and the reconciled day is in the `day` property.
 */
export function reconciliationEmfLines(report: ReconciliationReport, now: Date): string[] {
  const timestamp = now.getTime();
  const lines = report.features.filter((f) => f.judged).map((f) => JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: RECONCILIATION_NAMESPACE, Dimensions: [[...RECONCILIATION_DIMENSIONS]], Metrics: [{ Name: RECONCILIATION_METRIC.driftPercent, Unit: 'Percent' }] }],
    },
    Application: f.application, Feature: f.feature, [RECONCILIATION_METRIC.driftPercent]: round(f.driftPercent),
    day: report.day, meteredUsd: f.meteredUsd, billedUsd: f.billedUsd,
  }));
  lines.push(JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{
        Namespace: RECONCILIATION_NAMESPACE, Dimensions: [[]],
        Metrics: [
          { Name: RECONCILIATION_METRIC.maxDriftPercent, Unit: 'Percent' },
          { Name: RECONCILIATION_METRIC.unmeteredUsd, Unit: 'None' },
          { Name: RECONCILIATION_METRIC.unmeteredPercent, Unit: 'Percent' },
        ],
      }],
    },
    [RECONCILIATION_METRIC.maxDriftPercent]: round(report.maxDriftPercent),
    [RECONCILIATION_METRIC.unmeteredUsd]: round(report.unmeteredUsd),
    // The alarm watches the share; spend under the minimum is not judged (as in the report), so it publishes 0:
    // a few cents of unmetered spend on a quiet day would otherwise be a large share.
    [RECONCILIATION_METRIC.unmeteredPercent]: report.unmeteredUsd < report.minimumUsd ? 0 : round(report.unmeteredPercent),
    day: report.day, meteredUsd: report.meteredUsd, billedUsd: report.billedUsd,
  }));
  return lines;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
