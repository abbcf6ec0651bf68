import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { GuardEventDimension, METRIC_NAMESPACE, MetricName } from '../../shared/contract';
import { dashboardWidgetSpecs, SeriesSpec, WidgetSpec, workflowLabel } from './dashboard-spec';
import { monthToDateExpression, pipelineTerm, sumTerms, Term, termMetric } from './metric-math';
import { logGroupOf, MonitoredWorkflow, validateWorkflows } from './monitored-workflow';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link GenAiDashboard}. */
export interface GenAiDashboardProps {
  /** The workflows to show, one or many (their series side by side, spend also as a total). */
  readonly workflows: MonitoredWorkflow[];
  /**
   * The dashboard's name.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Widgets to add to the guardrails row (the last one), e.g. a circuit breaker's state. More can be added later with
   * {@link GenAiDashboard.addGuardrailWidgets}.
   * @default - none
   */
  readonly guardrailWidgets?: cloudwatch.IWidget[];
}

/**
 * A CloudWatch dashboard for GenAI workflows, drawn from the pipeline's metrics (`GenAI/FinOps`), Bedrock's
 * (`AWS/Bedrock`), the handlers' and their dead-letter queues', and the handlers' log records.
 *
 * Rows: spend (cost per hour per workflow and in total, by model, month to date, response-cache savings), tokens (by bucket,
 * by model), cache hit rates (prompt cache with the 90 % target, response cache, embedding cache), routing and
 * rejections (route mix and error codes from Logs Insights), latency p50/p99 and Bedrock throttles and errors by
 * model, handler errors and dead-letter depth, limits (only for workflows that can emit them: calls degraded by a
 * `nearLimit` policy by action, requests a throttled breaker refused, the usage ledger's fail-open, fail-closed,
 * expired holds and expired allowances), guardrails (settle failures, exceeded token bounds, largest request
 * against the 20,000-token alert). The same widget list, as data, is `dashboardWidgetSpecs` in the contract, which the
 * local demo page draws too.
 *
 * Costs $3 per month (each dashboard beyond the account's first three), plus Logs Insights queries
 * ($0.005 per GB scanned) when the route and error-code tables refresh.
 */
export class GenAiDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /**
   * The widget list the dashboard was drawn from (the contract's `dashboardWidgetSpecs`).
   * @internal
   */
  public readonly _widgetSpecs: WidgetSpec[];

  private readonly workflows: MonitoredWorkflow[];

  constructor(scope: Construct, id: string, props: GenAiDashboardProps) {
    super(scope, id);
    checkProps(this, 'GenAiDashboardProps', props, GEN_AI_DASHBOARD_PROP_KINDS);
    validateWorkflows(this, props.workflows);
    this.workflows = props.workflows;
    this._widgetSpecs = dashboardWidgetSpecs(props.workflows.map((w) => ({
      application: w.application,
      feature: w.feature,
      handler: w.handler !== undefined,
      deadLetterQueue: w.deadLetterQueue !== undefined,
      logs: logGroupOf(w) !== undefined,
      degrades: w.degrades,
      throttles: w.throttles,
      usesUsageLedger: w.usesUsageLedger,
    })));
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      // Each widget's own period (an hour for spend, five minutes for operations) rather than one picked from the
      // time range: the month-to-date sum needs hourly points whatever range is shown.
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
      defaultInterval: Duration.hours(24),
    });
    for (const row of rowsOf(this._widgetSpecs)) {
      this.dashboard.addWidgets(...row.map((spec) => this.render(spec)));
    }
    if (props.guardrailWidgets?.length) this.addGuardrailWidgets(...props.guardrailWidgets);
  }

  /** Add widgets to the guardrails row, the dashboard's last (e.g. a circuit breaker's state and trips). */
  public addGuardrailWidgets(...widgets: cloudwatch.IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  private render(spec: WidgetSpec): cloudwatch.IWidget {
    const size = { width: spec.width, height: spec.height };
    if (spec.kind === 'text') return new cloudwatch.TextWidget({ markdown: spec.markdown ?? '', ...size });
    if (spec.kind === 'logs') return this.renderLogs(spec);
    const period = Duration.seconds(spec.periodSeconds);
    const start = spec.range ? `-${spec.range}` : undefined;
    const metrics = spec.metrics.map((series, i) => this.metricOf(series, period, `s${i}`));
    if (spec.kind === 'number') {
      return new cloudwatch.SingleValueWidget({ title: spec.title, metrics, period, start, ...size });
    }
    const onRight = (i: number) => spec.metrics[i].axis === 'right';
    return new cloudwatch.GraphWidget({
      title: spec.title,
      left: metrics.filter((_, i) => !onRight(i)),
      right: metrics.filter((_, i) => onRight(i)),
      leftYAxis: { label: spec.unit, min: spec.min ?? 0, max: spec.max, showUnits: false },
      leftAnnotations: spec.annotations?.map((a) => ({ label: a.label, value: a.value })),
      stacked: spec.kind === 'stacked',
      view: spec.kind === 'bar' ? cloudwatch.GraphWidgetView.BAR : cloudwatch.GraphWidgetView.TIME_SERIES,
      period,
      start,
      ...size,
    });
  }

  private renderLogs(spec: WidgetSpec): cloudwatch.IWidget {
    const field = spec.logs!.countBy;
    return new cloudwatch.LogQueryWidget({
      title: spec.title,
      logGroupNames: this.workflows.map(logGroupOf).filter((g) => g !== undefined).map((g) => g.logGroupName),
      // The pipeline's EMF records are JSON lines; `route` and `errorCode` are their properties.
      queryLines: [
        `fields ${field}`,
        `filter ispresent(${field})`,
        `stats count(*) as requests by ${field}`,
        'sort requests desc',
      ],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: spec.width,
      height: spec.height,
    });
  }

  private metricOf(series: SeriesSpec, period: Duration, id: string): cloudwatch.IMetric {
    if (series.source === 'usageLedger') {
      // Exactly the dimensions the runtime writes guard events with (GUARD_EVENT_DIMENSIONS), as UsageLedger's metrics.
      const dimensionsMap: Record<GuardEventDimension, string> = { Application: series.application! };
      return new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: series.name!, dimensionsMap, statistic: series.stat, period, label: series.label });
    }
    const workflows = this.workflowsOf(series);
    const label = series.label;
    switch (series.source) {
      case 'handler': {
        const fn = workflows[0].handler!;
        const options = { period, statistic: series.stat, label };
        return series.name === 'Throttles' ? fn.metricThrottles(options) : fn.metricErrors(options);
      }
      case 'deadLetterQueue':
        return workflows[0].deadLetterQueue!.metricApproximateNumberOfMessagesVisible({ period, statistic: series.stat, label });
      case 'bedrock':
        // Metrics Insights, grouped by ModelId: one line per model or inference profile, whatever form Bedrock gives
        // the id in (base model, cross-Region profile, application profile).
        return new cloudwatch.MathExpression({
          expression: `SELECT ${series.stat.toUpperCase() === 'SUM' ? 'SUM' : 'MAX'}(${series.name}) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId`,
          usingMetrics: {},
          period,
          label,
        });
      default:
        return this.pipelineMetric(series, workflows, period, id);
    }
  }

  private pipelineMetric(series: SeriesSpec, workflows: MonitoredWorkflow[], period: Duration, id: string): cloudwatch.IMetric {
    if (series.groupBy === 'Model' || series.groupBy === 'Action') {
      // One line per value of the third dimension, whatever values are written (Action: the near-limit actions'
      // wire names, only the ones a feature's policy has used).
      const w = workflows[0];
      return new cloudwatch.SearchExpression({
        expression: `SEARCH('{${METRIC_NAMESPACE},Application,Feature,${series.groupBy}} MetricName="${series.name}" Application="${w.application}" Feature="${w.feature}"', '${series.stat}', ${period.toSeconds()})`,
        label: series.label,
        period,
      });
    }
    if (series.ratio) {
      let n = 0;
      const termsOf = (names: MetricName[]) => sumTerms(names.map((name) => pipelineTerm(name, workflows, 'Sum', period, `${id}_${n++}_`)));
      const numerator = termsOf(series.ratio.numerator);
      const denominator = termsOf(series.ratio.denominator);
      const ratio: Term = {
        expression: `100 * ${numerator.expression} / ${denominator.expression}`,
        usingMetrics: { ...numerator.usingMetrics, ...denominator.usingMetrics },
      };
      return termMetric(ratio, period, series.label);
    }
    const term = pipelineTerm(series.name as MetricName, workflows, series.stat, period, `${id}_`);
    if (!series.monthToDate) return termMetric(term, period, series.label);
    return new cloudwatch.MathExpression({
      expression: monthToDateExpression(id),
      usingMetrics: { [id]: termMetric(term, period, series.label) },
      period,
      label: series.label,
    });
  }

  private workflowsOf(series: SeriesSpec): MonitoredWorkflow[] {
    if (series.application === undefined) return this.workflows;
    return this.workflows.filter((w) => workflowLabel(w) === workflowLabel({ application: series.application!, feature: series.feature! }));
  }
}

// Rows start at each text widget (a header).
function rowsOf(specs: WidgetSpec[]): WidgetSpec[][] {
  const rows: WidgetSpec[][] = [];
  for (const spec of specs) {
    if (spec.kind === 'text') rows.push([spec], []);
    else rows[rows.length - 1].push(spec);
  }
  return rows.filter((row) => row.length > 0);
}

// The known keys of GenAiDashboardProps and what each holds (lib/private/prop-check.ts).
const GEN_AI_DASHBOARD_PROP_KINDS = { workflows: { items: 'object' }, dashboardName: 'string', guardrailWidgets: { items: 'object' } } as const satisfies PropKinds<GenAiDashboardProps>;
