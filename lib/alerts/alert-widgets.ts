import { AlertChartSpec, METRIC_NAMESPACE } from '../../shared/contract';
import { dashboardWidgetSpecs } from '../observability/dashboard-spec';
import { MonitoredWorkflow } from '../observability/monitored-workflow';

/** The dashboard widget an alert carries as its picture: the spend row's cost per hour. */
export const ALERT_WIDGET_ID = 'cost-per-hour';

/**
 * The alert's cost chart, from the dashboard's own widget spec (`dashboardWidgetSpecs`, which the dashboard and the
 * demo page draw too): its title, unit, period, metric, statistic and the label of each series and of the total.
 * Undefined without workflows.
 */
export function alertChartSpec(workflows: MonitoredWorkflow[]): AlertChartSpec | undefined {
  if (workflows.length === 0) return undefined;
  const spec = dashboardWidgetSpecs(workflows.map((w) => ({ application: w.application, feature: w.feature }))).find((s) => s.id === ALERT_WIDGET_ID);
  if (!spec) throw new Error(`the dashboard spec has no '${ALERT_WIDGET_ID}' widget`);
  const perWorkflow = spec.metrics.filter((m) => m.application !== undefined);
  const total = spec.metrics.find((m) => m.application === undefined);
  const [first] = spec.metrics;
  return {
    title: spec.title,
    unit: spec.unit ?? '',
    periodSeconds: spec.periodSeconds,
    namespace: METRIC_NAMESPACE,
    metricName: first.name!,
    stat: first.stat,
    series: perWorkflow.map((m) => ({ application: m.application!, feature: m.feature!, label: m.label })),
    ...(total ? { totalLabel: total.label } : {}),
  };
}
