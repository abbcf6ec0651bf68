/**
 * `genai-finops demo --html FILE`: the CloudWatch dashboard's widgets as one self-contained page, computed from
 * the EMF records the bundled handler wrote during the demo.
 */
export { EmfRecordsByScenario, parseEmfRecord } from './emf';
export type { EmfRecord } from './emf';
export { percentile, ratioPercent, scenarioTotals, statistic, sumOf, widgetValues } from './aggregate';
export type { ScenarioRef, ScenarioTotals, SeriesValues, WidgetValues } from './aggregate';
export { DEMO_DASHBOARD_WORKFLOWS, pageSections, pageWidgets } from './widgets';
export type { PageSection, SeriesSpec, SplitSpec, Statistic, WidgetSpec } from './widgets';
export { buildDashboardPage, chartConfig, PAGE_CSP, PAGE_DATA_ID, wrapLabel } from './page';
export type { DashboardPageInput, PageData } from './page';
export { chartJsSource, chartJsUmdPath, writeDashboardPage } from './write-page';
