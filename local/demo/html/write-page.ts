/** Writing the dashboard page of a demo run to a file, with Chart.js read from the installed package. */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DemoReport } from '../run-demo';
import type { EmfRecordsByScenario } from './emf';
import { buildDashboardPage } from './page';

/** The path of Chart.js' UMD build (it defines `window.Chart`; the package's `main` is the CommonJS build). */
export function chartJsUmdPath(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

/** Chart.js' UMD build, as text. */
export function chartJsSource(): string {
  const file = chartJsUmdPath();
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read Chart.js from ${file} (${(error as Error).message}); run 'npm ci' in the repository`);
  }
}

/** Builds the page for a demo run and writes it to `file`; returns its size in bytes. */
export function writeDashboardPage(file: string, report: DemoReport, records: EmfRecordsByScenario): number {
  const html = buildDashboardPage({ report, recordsOf: (id) => records.of(id), chartJs: chartJsSource() });
  writeFileSync(file, html, 'utf8');
  return Buffer.byteLength(html);
}
