/**
 * `genai-finops demo --html FILE`: the CloudWatch dashboard's widgets as one self-contained page, computed from
 * the EMF records the bundled handler wrote during the demo.
 */
export { EmfRecordsByScenario, parseEmfRecord } from './emf';
export type { EmfRecord } from './emf';
export { percentile, ratioPercent, scenarioTotals, statistic, sumOf, widgetValues } from './aggregate';
export type { ScenarioRef, ScenarioTotals, SeriesValues, WidgetValues } from './aggregate';
export { DEMO_WIDGETS, PROMPT_CACHE_HIT_RATE, PROMPT_CACHE_TARGET_PERCENT, RESPONSE_CACHE_HIT_RATE } from './widgets';
export type { MetricSeriesSpec, RatioSeriesSpec, SeriesSpec, SplitSpec, Statistic, TargetSpec, WidgetSpec, WidgetUnit } from './widgets';
export { buildDashboardPage, chartConfig, PAGE_CSP, PAGE_DATA_ID } from './page';
export type { DashboardPageInput, PageData } from './page';
export { chartJsSource, chartJsUmdPath, writeDashboardPage } from './write-page';
