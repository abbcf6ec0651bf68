/** The reconciliation report as a table (the command's default output). */
import type { ReconciliationReport } from '../../shared/queries/reconciliation-verdict';

const COLUMNS = ['Application', 'Feature', 'Metered USD', 'Billed USD', 'Drift USD', 'Drift %', ''];

/** The report as text. */
export function formatReconciliation(report: ReconciliationReport): string {
  const usd = (n: number) => n.toFixed(4);
  const pct = signedPercent;
  // A feature on more than one model (or whose bill names another model) gets a line per model under it.
  const rows = report.features.flatMap((f) => [
    [f.application, f.feature, usd(f.meteredUsd), usd(f.billedUsd), usd(f.driftUsd),
      f.judged ? pct(f.driftPercent) : '-', f.overThreshold ? 'OVER' : f.judged ? '' : 'too small to judge'],
    ...(f.models.length > 1 ? f.models.map((m) => ['', `  model ${m.model}`, usd(m.meteredUsd), usd(m.billedUsd), usd(m.driftUsd), '', '']) : []),
  ]);
  const unmeteredOver = report.unmeteredUsd >= report.minimumUsd && report.unmeteredPercent > report.thresholdPercent;
  rows.push(['(unmetered)', '-', usd(0), usd(report.unmeteredUsd), usd(-report.unmeteredUsd), '-',
    `${report.unmeteredPercent.toFixed(2)} % of the bill${unmeteredOver ? ' OVER' : ''}`]);
  rows.push(['Total', '', usd(report.meteredUsd), usd(report.billedUsd), usd(report.meteredUsd - report.billedUsd), '', '']);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const right = new Set([2, 3, 4, 5]);
  const render = (cells: string[]) => cells.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const over = report.features.filter((f) => f.overThreshold);
  const verdict = !report.overThreshold
    ? `Meter and bill agree within ${report.thresholdPercent} % for every feature, and unmetered spend is within it.`
    : [
      over.length > 0 ? `${over.length} feature${over.length > 1 ? 's' : ''} past ${report.thresholdPercent} %: ${over.map((f) => `${f.application}/${f.feature} (${pct(f.driftPercent)} %)`).join(', ')}.` : '',
      unmeteredOver ? `Unmetered Bedrock spend $${report.unmeteredUsd.toFixed(4)} (${report.unmeteredPercent.toFixed(2)} % of the day's Bedrock bill): calls that bypassed the pipeline.` : '',
    ].filter(Boolean).join(' ');
  return [
    `Meter vs bill for ${report.day} (UTC), drift threshold ${report.thresholdPercent} %; bill = CUR 2.0 unblended cost of Bedrock usage, attributed by the Application/Feature tags of profiles or principals.`,
    '',
    render(COLUMNS),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(render),
    '',
    verdict,
    '',
  ].join('\n');
}

/** A percentage with its sign and two decimals; what rounds to zero shows as +0.00, never -0.00. */
export function signedPercent(value: number): string {
  const rounded = Math.abs(value) < 0.005 ? 0 : value;
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(2)}`;
}
