/**
 * The widgets of the demo's dashboard page: the CloudWatch dashboard's own widget list (`dashboardWidgetSpecs` in the
 * contract, which the `GenAiDashboard` construct draws) for the demo's workflow, turned into what a page of one run
 * per scenario can show. A graph over time becomes bars, one group per scenario: each series' statistic over the
 * scenario's EMF records. Rows keep their headers. Widgets of metrics the demo does not emit (Bedrock's own, the
 * Lambda service's, SQS's) are listed as not emulated instead of drawn empty.
 */
import { MetricDimension, MetricName } from '../../../../../shared/contract';
import { AnnotationSpec, dashboardWidgetSpecs, DashboardWorkflowSpec, RatioSpec, SeriesSpec as DashboardSeriesSpec, WidgetSpec as DashboardWidgetSpec, workflowLabel } from '../../../../../lib/observability/dashboard-spec';

/** How the values of one metric over a scenario's records become one number (CloudWatch's statistics, and a count). */
export type Statistic = 'Sum' | 'Maximum' | 'p50' | 'p99' | 'Count';

/**
 * Splits a series into one per value: of a dimension (CloudWatch's SEARCH by dimension), or of an EMF property
 * (a Logs Insights `stats count(*) by property`, which only counts records that have the property).
 */
export type SplitSpec = { readonly dimension: MetricDimension } | { readonly property: string };

/** One series of a widget: a statistic of a metric, a ratio in percent, or a count of records. */
export interface SeriesSpec {
  readonly label: string;
  readonly stat: Statistic;
  /** The metric; absent for a ratio and for a count. */
  readonly metric?: MetricName;
  /** 100 * SUM(numerator) / SUM(denominator), 0 when the denominator is 0. */
  readonly ratio?: RatioSpec;
  /** Only the records with these dimension values (the workflow's Application and Feature). */
  readonly where?: Readonly<Partial<Record<MetricDimension, string>>>;
  readonly splitBy?: SplitSpec;
}

/** One widget of the page. */
export interface WidgetSpec {
  /** The dashboard widget's id: the page's canvas is `chart-<id>`. */
  readonly id: string;
  readonly title: string;
  /** Bars side by side, or stacked into one bar per scenario. */
  readonly kind: 'bar' | 'stacked-bar';
  /** The y axis' title. */
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly series: ReadonlyArray<SeriesSpec>;
  /** Horizontal lines: targets and alarm thresholds. */
  readonly targets: ReadonlyArray<AnnotationSpec>;
  /** What the dashboard's series are, for the line under the chart (e.g. "Sum of CostUSD per hour, by Model"). */
  readonly source: string;
}

/** A row of the dashboard: its header and its widgets. */
export interface PageSection {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly widgets: ReadonlyArray<WidgetSpec>;
  /** The row's widgets the page cannot draw, with why. */
  readonly notEmulated: ReadonlyArray<{ readonly title: string; readonly reason: string }>;
}

/** The demo's workflow as the dashboard sees it: the example app's API workflow (a handler, its log records). */
export const DEMO_DASHBOARD_WORKFLOWS: ReadonlyArray<DashboardWorkflowSpec> = Object.freeze([
  { application: 'customer-support', feature: 'support-chat', handler: true, deadLetterQueue: false, logs: true },
]);

const NOT_EMITTED: Readonly<Record<Exclude<DashboardSeriesSpec['source'], 'pipeline'>, string>> = {
  bedrock: 'Bedrock\'s own metrics (AWS/Bedrock): the simulator does not publish them',
  handler: 'the Lambda service\'s metrics of the handler: there is no Lambda service locally',
  deadLetterQueue: 'the dead-letter queue\'s metrics (SQS): there is no queue locally',
  usageLedger: 'the usage ledger\'s events (dimension Application only): not drawn on this page',
};

/** The dashboard's rows for `workflows` (default: the demo's), as the page draws them. */
export function pageSections(workflows: ReadonlyArray<DashboardWorkflowSpec> = DEMO_DASHBOARD_WORKFLOWS): PageSection[] {
  const prefixes = workflows.map((w) => workflowLabel(w));
  const sections: Array<{ id: string; title: string; text: string; widgets: WidgetSpec[]; notEmulated: Array<{ title: string; reason: string }> }> = [];
  for (const spec of dashboardWidgetSpecs([...workflows])) {
    if (spec.kind === 'text') {
      const [heading, ...rest] = (spec.markdown ?? '').split('\n');
      sections.push({ id: spec.id, title: heading.replace(/^#+\s*/, ''), text: rest.join(' '), widgets: [], notEmulated: [] });
      continue;
    }
    const section = sections[sections.length - 1];
    const foreign = spec.metrics.find((m) => m.source !== 'pipeline');
    if (foreign) section.notEmulated.push({ title: spec.title, reason: NOT_EMITTED[foreign.source as keyof typeof NOT_EMITTED] });
    else section.widgets.push(pageWidget(spec, prefixes.length === 1 ? prefixes[0] : undefined));
  }
  return sections;
}

/** Every widget the page draws, in page order. */
export function pageWidgets(workflows?: ReadonlyArray<DashboardWorkflowSpec>): WidgetSpec[] {
  return pageSections(workflows).flatMap((s) => s.widgets);
}

function pageWidget(spec: DashboardWidgetSpec, onlyWorkflow: string | undefined): WidgetSpec {
  const series: SeriesSpec[] = spec.kind === 'logs'
    ? [{ label: 'Requests', stat: 'Count', splitBy: { property: spec.logs!.countBy } }]
    : spec.metrics.map((m) => pageSeries(m, onlyWorkflow));
  const period = spec.periodSeconds === 3600 ? 'per hour' : `per ${spec.periodSeconds / 60} minutes`;
  const describe = (m: DashboardSeriesSpec) => {
    const what = m.ratio ? `100 × (${m.ratio.numerator.join(' + ')}) / (${m.ratio.denominator.join(' + ')})` : `${m.stat} of ${m.name}`;
    return `${what}${m.monthToDate ? ', month to date' : ` ${period}`}${m.groupBy ? `, by ${m.groupBy}` : ''}`;
  };
  const source = spec.kind === 'logs'
    ? `Logs Insights: count of records by ${spec.logs!.countBy}`
    : [...new Set(spec.metrics.map(describe))].join('; ');
  return {
    id: spec.id,
    title: spec.title,
    kind: spec.kind === 'stacked' || spec.kind === 'logs' ? 'stacked-bar' : 'bar',
    unit: spec.unit ?? (spec.kind === 'logs' ? 'Requests' : ''),
    ...(spec.min !== undefined ? { min: spec.min } : {}),
    ...(spec.max !== undefined ? { max: spec.max } : {}),
    series,
    targets: spec.annotations ?? [],
    source: `Dashboard: ${source}. Here: one bar per scenario over its records.`,
  };
}

function pageSeries(m: DashboardSeriesSpec, onlyWorkflow: string | undefined): SeriesSpec {
  // With one workflow its name on every legend entry is noise: "customer-support/support-chat input" → "input".
  const label = onlyWorkflow && m.label.startsWith(`${onlyWorkflow} `) ? m.label.slice(onlyWorkflow.length + 1) : m.label;
  const stat = m.stat as Exclude<Statistic, 'Count'>;
  return {
    label,
    stat,
    ...(m.ratio ? { ratio: m.ratio } : { metric: m.name as MetricName }),
    ...(m.application !== undefined ? { where: { Application: m.application, Feature: m.feature } } : {}),
    ...(m.groupBy === 'Model' ? { splitBy: { dimension: 'Model' as const } } : {}),
  };
}
