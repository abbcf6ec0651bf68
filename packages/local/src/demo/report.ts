/**
 * The demo's output: a per-lever table and the optimized/naive cost ratio, or the same as JSON.
 */
import { formatDemoReconciliation } from './reconciliation';
import type { DemoReport } from './run-demo';

const COLUMNS = ['Run', 'Requests', 'Model calls', 'Haiku/Sonnet/Opus', 'Input tok', 'Output tok', 'Cache read', 'Cache write', 'Capped', 'Cost USD', 'Saving vs naive'];
const RIGHT_ALIGNED = new Set(COLUMNS.slice(1));

/** The report as text: workload summary, table, ratio and notes. */
export function formatReport(report: DemoReport): string {
  const w = report.workload;
  const pct = (n: number) => `${Math.round((n / w.requests) * 100)}%`;
  const lines = [
    `GenAI FinOps demo: ${report.requests} requests (seed ${report.seed}) through the bundled API handler (assets/handlers/api/index.js)`,
    `Workload: ${w.tenants} tenants; ${w.classes.simple} simple / ${w.classes.medium} medium / ${w.classes.complex} complex (${pct(w.classes.simple)}/${pct(w.classes.medium)}/${pct(w.classes.complex)}); `
      + `${w.repeats} exact repeats (${pct(w.repeats)}); ${w.withHistory} with conversation history`,
    'Each request: ~4,250-token system prompt + 3 knowledge-base chunks (~1,200 tokens) + history (~2,000 tokens when present) + the message.',
    '',
    ...table(report),
    '',
    `Optimized/naive cost ratio: ${report.ratio.toFixed(3)} (target <= ${report.targetRatio.toFixed(2)}: ${report.ratio <= report.targetRatio ? 'met' : 'NOT met'})`,
    ...notes(report),
    formatDemoReconciliation(report.reconciliation),
    '',
    ...guardrails(report),
    '',
    `Measured in ${(report.wallMs / 1000).toFixed(1)} s. Input tok = tokens billed at the normal input rate; cache read/write are billed at 0.1x/1.25x of it.`,
  ];
  return `${lines.join('\n')}\n`;
}

function table(report: DemoReport): string[] {
  const rows = report.runs.map((run) => {
    const t = run.totals;
    return [
      run.scenario.label,
      int(t.requests),
      int(t.modelCalls),
      `${t.callsByModel.haiku}/${t.callsByModel.sonnet}/${t.callsByModel.opus}`,
      int(t.inputTokens),
      int(t.outputTokens),
      int(t.cacheReadTokens),
      int(t.cacheWriteTokens),
      int(t.truncated),
      t.costUsd.toFixed(4),
      run.scenario.id === 'naive' ? '-' : `${(run.savingVsNaive * 100).toFixed(1)}%`,
    ];
  });
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const render = (cells: string[]) => cells.map((cell, i) => (RIGHT_ALIGNED.has(COLUMNS[i]) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [render(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)];
}

const GUARD_COLUMNS = ['Step', 'Feature', 'Critical?', 'When tripped', '200', '429', '503', 'Tiers seen'];
const GUARD_RIGHT = new Set(['200', '429', '503']);

/** The guardrails scenario: the quota summary, then one row per step and feature. */
function guardrails(report: DemoReport): string[] {
  const g = report.guardrails;
  const q = g.quota;
  const count = (status: Readonly<Record<string, number>>, code: number) => String(status[code] ?? 0);
  const quotaStatus: Record<string, number> = { 200: q.admitted, 429: q.refused429, ...q.other };
  const rows: string[][] = [
    [`burst of ${q.sent} at once`, q.tenant, 'no', '-', count(quotaStatus, 200), count(quotaStatus, 429), count(quotaStatus, 503), '-'],
    ...g.breaker.rows.map((r) => [r.step, r.feature, r.critical ? 'yes' : 'no', r.whenTripped, count(r.status, 200), count(r.status, 429), count(r.status, 503), r.tiers.join('/') || '-']),
  ];
  const widths = GUARD_COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const render = (cells: string[]) => cells.map((cell, i) => (GUARD_RIGHT.has(GUARD_COLUMNS[i]) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const others = Object.entries(q.other).filter(([code]) => code !== '503').map(([code, n]) => `${n} x ${code}`);
  return [
    'Guardrails (usage ledger in DynamoDB Local; breaker bundle on CloudWatch alarm notifications):',
    ...[render(GUARD_COLUMNS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)],
    `Quota of ${q.tenant} (per day): admitted ${int(q.admittedTokens)} of ${int(q.tokenLimit)} tokens and $${q.admittedUsd.toFixed(4)} of $${q.usdLimit.toFixed(2)} `
      + `(ledger counters: ${int(q.ledgerTokens)} tokens, $${q.ledgerUsd.toFixed(4)}): ${q.withinLimits ? 'nothing went over' : 'OVER THE LIMIT'}`
      + `${others.length > 0 ? `; other answers: ${others.join(', ')}` : ''}.`,
    `  429s by the measure that ran out: ${Object.entries(q.refusedBy).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}. In a burst every request reserves its upper bound `
      + '(full prompt + the output cap) before it calls the model, and gives the unused part back at settle: the quota holds, at the price of refusing some requests that would have fit.',
    `Breaker: ${g.breaker.trips.map((t) => `alarm ${t.alarm} tripped ${t.tripped.map((f) => `'${f}'`).join(', ') || 'nothing'}`).join('; then ')}. `
      + 'The guard reads the breaker on every request here (cacheTtlSeconds 0; 30 s by default).',
  ];
}

function notes(report: DemoReport): string[] {
  const cap = report.runs.find((r) => r.scenario.id === 'output-cap');
  if (cap && cap.totals.truncated === 0) {
    return ['Note: no answer reached the 1,024-token cap in this workload (the simulated model answered within it), so the output cap alone saved nothing here; it bounds the worst case.'];
  }
  return [];
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}
