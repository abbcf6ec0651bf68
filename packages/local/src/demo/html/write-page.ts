/** Writing the dashboard page of a demo run to a file, with Chart.js read from the installed package. */
import { writeFileSync } from 'node:fs';
import { chartJsSource, chartJsUmdPath } from '../../../../../reports/html/self-contained';
import type { DemoReport } from '../run-demo';
import type { EmfRecordsByScenario } from './emf';
import { buildDashboardPage } from './page';

export { chartJsSource, chartJsUmdPath };

/** Builds the page for a demo run and writes it to `file`; returns its size in bytes. */
export function writeDashboardPage(file: string, report: DemoReport, records: EmfRecordsByScenario): number {
  const html = buildDashboardPage({ report, recordsOf: (id) => records.of(id), chartJs: chartJsSource() });
  writeFileSync(file, html, 'utf8');
  return Buffer.byteLength(html);
}
