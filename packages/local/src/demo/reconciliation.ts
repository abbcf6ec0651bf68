/**
 * The demo reconciles its own run: the EMF records the optimized run's handler wrote (the meter) against a CUR 2.0
 * gzip CSV built from what the simulator billed in that run (the bill, `bill.ts`), through `genai-finops reconcile`'s
 * reader and the `MeterReconciliation` construct's SQL. One call made straight to the simulator, outside the
 * pipeline, shows up as unmetered spend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ENV, RECONCILIATION_DEFAULTS } from '../../../../shared/contract';
import type { ReconciliationReport } from '../../../../shared/queries/reconciliation-verdict';
import { CUR_COLUMNS } from '../../../../shared/queries/cur-schema';
import { reconcileFiles } from '../../../../reports/reconcile/reconcile-files';
import type { SimulatedCall } from '../bedrock-simulator';
import { curLinesOfCalls, DemoCurLine, ProfileTags } from './bill';
import type { DemoDeployment } from './deployment';
import { signedPercent } from '../../../../reports/reconcile/format';

/** The model the unmetered call uses: a system-defined profile, which carries no cost allocation tags. */
export const UNMETERED_MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

/** The profiles a workflow function calls, with the Application and Feature tags its template gives it. */
export function profileTagsOf(deployment: DemoDeployment, functionId: string): Map<string, ProfileTags> {
  const config = deployment.pipelineConfig(functionId);
  const tags = JSON.parse(deployment.function(functionId).environment[ENV.tags] ?? '{}') as Record<string, string>;
  const attribution = { application: tags.Application ?? '', feature: tags.Feature ?? '' };
  const ids = [...Object.values(config.tiers).map((t) => t?.invokeId), config.embedding?.invokeId].filter((id): id is string => !!id);
  return new Map(ids.map((id) => [id, attribution]));
}

/**
 * One Converse call straight to the simulator, as a script with its own credentials would make it: billed, never
 * metered. Plain HTTP (the Converse route and body), so the companion package needs no Bedrock client for it.
 */
export async function callOutsideThePipeline(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/model/${encodeURIComponent(UNMETERED_MODEL)}/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: [{ text: 'Summarize our refund policy in one sentence.' }] }],
      inferenceConfig: { maxTokens: 200 },
    }),
  });
  if (!response.ok) throw new Error(`the demo's call outside the pipeline got HTTP ${response.status}: ${await response.text()}`);
}

/** Reconciles `meterLines` (EMF JSON lines) with the bill of `calls`. */
export async function reconcileDemoRun(meterLines: ReadonlyArray<string>, calls: ReadonlyArray<SimulatedCall>, profiles: ReadonlyMap<string, ProfileTags>): Promise<ReconciliationReport> {
  const dir = mkdtempSync(path.join(tmpdir(), 'genai-finops-demo-bill-'));
  try {
    const meter = path.join(dir, 'meter.jsonl');
    writeFileSync(meter, `${meterLines.join('\n')}\n`);
    const cur = path.join(dir, 'cur2-00001.csv.gz');
    writeFileSync(cur, gzipSync(curCsv(curLinesOfCalls(calls, profiles))));
    const { report } = await reconcileFiles({
      cur: [cur], meter: [meter], thresholdPercent: RECONCILIATION_DEFAULTS.thresholdPercent, minimumUsd: RECONCILIATION_DEFAULTS.minimumUsd,
    });
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// As Data Exports writes CSV: a header of the export's columns, map columns as JSON, empty for absent values.
function curCsv(lines: ReadonlyArray<DemoCurLine>): string {
  const names = CUR_COLUMNS.map((c) => c.name);
  const cell = (value: unknown) => {
    if (value === undefined || value === null) return '';
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [names.join(','), ...lines.map((line) => names.map((n) => cell((line as unknown as Record<string, unknown>)[n])).join(','))].join('\n') + '\n';
}

/** The one line `npm start` prints about it. */
export function formatDemoReconciliation(report: ReconciliationReport): string {
  const drift = report.features.map((f) => `${f.feature} ${signedPercent(f.driftPercent)} %`).join(', ');
  return `Meter vs bill (optimized run; CUR 2.0 rows from the simulator's billed calls, reconciled in DuckDB): metered $${report.meteredUsd.toFixed(4)}, `
    + `billed $${report.billedUsd.toFixed(4)}; drift ${drift || 'none'}; unmetered $${report.unmeteredUsd.toFixed(4)} (one call made outside the pipeline).`;
}
