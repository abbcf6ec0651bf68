import { AlertChartSpec } from '../../../shared/contract';
import { Alert } from '../../../lambda/notifier/alert';
import { metricWidgetOf } from '../../../lambda/notifier/chart';

const CHART: AlertChartSpec = {
  title: 'Cost per hour (USD)', unit: 'USD', periodSeconds: 3600, namespace: 'GenAI/FinOps', metricName: 'CostUSD', stat: 'Sum',
  series: [{ application: 'support', feature: 'chat', label: 'support/chat' }, { application: 'support', feature: 'search', label: 'support/search' }],
  totalLabel: 'Total',
};
const alertOf = (fields: Partial<Alert>): Alert => ({ kind: 'alarm', title: 't', state: 'ALARM', recovered: false, occurredAt: '2026-11-27T14:00:00Z', deliveryKey: 'k', ...fields });

describe('the alert\'s MetricWidget', () => {
  test('an alert of one workflow shows that workflow\'s cost alone, summed across its models', () => {
    const widget = metricWidgetOf(alertOf({ application: 'support', feature: 'search' }), CHART, 'eu-west-1');

    expect(widget).toEqual({
      title: 'Cost per hour (USD)', view: 'timeSeries', stacked: false, region: 'eu-west-1', period: 3600,
      metrics: [[{ id: 's0', label: 'support/search', expression: 'SUM(SEARCH(\'{GenAI/FinOps,Application,Feature,Model} MetricName="CostUSD" (Application="support" AND Feature="search")\', \'Sum\', 3600))' }]],
      yAxis: { left: { label: 'USD', min: 0, showUnits: false } },
    });
  });

  test('an alert of no workflow (a budget, an anomaly) shows every workflow and the total, as the dashboard does', () => {
    const widget = metricWidgetOf(alertOf({ kind: 'budget' }), CHART, 'us-east-1') as any;

    expect(widget.metrics.map((m: any[]) => m[0].label)).toEqual(['support/chat', 'support/search', 'Total']);
    expect(widget.metrics[2][0].expression).toContain('((Application="support" AND Feature="chat") OR (Application="support" AND Feature="search"))');
  });
});
