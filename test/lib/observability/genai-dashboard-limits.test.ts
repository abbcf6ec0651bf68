// The dashboard's limits row: degraded and throttled requests, and the usage ledger's events, drawn only for workflows
// that can emit them, and reading exactly the series the runtime writes (its real reporters' EMF records).
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, CircuitBreaker, NearLimitAction, UsageLedger, UsageScope, UsageWindow, WhenTripped } from '../../../lib';
import { GenAiDashboard, MonitoredWorkflow, MonitoredWorkflows } from '../../../lib/observability';
import { METRIC } from '../../../shared/contract';
import type { LedgerEvent } from '../../../lambda/pipeline/guards/ledger-guard';
import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { breakerThrottledReporter, ledgerEventReporter } from '../../../lambda/shared/guard-events';
import { emfRecords, sampleRecord, stdoutLinesOf } from '../../lambda/pipeline/support';
import { resolveIntrinsics } from '../../support/intrinsics';
import { createTestStack } from '../../support/test-app';
import { chatWorkflow, dashboardBody, searchWorkflow } from './support';

function widgetsOf(workflows: (stack: ReturnType<typeof createTestStack>) => MonitoredWorkflow[]): any[] {
  const stack = createTestStack();
  new GenAiDashboard(stack, 'Dashboard', { workflows: workflows(stack) });
  return dashboardBody(Template.fromStack(stack), resolveIntrinsics).widgets;
}
const titled = (widgets: any[], title: string) => widgets.find((w) => w.properties.title === title);
const visible = (w: any) => w.properties.metrics.map((m: any[]) => m[m.length - 1]).filter((o: any) => o.visible !== false);
// The plain metrics of a graph, hidden or not: [namespace, name, ...dimension pairs].
const plainMetrics = (w: any) => w.properties.metrics.filter((m: any[]) => typeof m[0] === 'string').map((m: any[]) => m.slice(0, -1));

const LEDGER_KINDS = ['failOpen', 'failClosed', 'holdsExpired', 'allowancesExpired'] as const;
const ledgerEvent = (kind: LedgerEvent['kind']): LedgerEvent => ({ kind, scope: 'tenant', window: 'month', tenantId: 'iam:acme', userId: 'u-1', feature: 'chat' });

/** What the runtime writes, as EMF directives: [namespace, metric name, dimension names, dimension values]. */
async function emitted(fn: () => void): Promise<Array<{ namespace: string; name: string; dimensions: string[]; values: Record<string, string> }>> {
  return emfRecords(await stdoutLinesOf(fn)).flatMap((record) => record._aws.CloudWatchMetrics.flatMap((d: any) => d.Metrics.map((m: any) => ({
    namespace: d.Namespace, name: m.Name, dimensions: d.Dimensions[0], values: Object.fromEntries(d.Dimensions[0].map((k: string) => [k, record[k]])),
  }))));
}

describe('GenAiDashboard limits row', () => {
  const signalling = (stack: ReturnType<typeof createTestStack>) => [
    MonitoredWorkflows.of({ ...chatWorkflow(stack), degrades: true, throttles: true, usesUsageLedger: true }),
    MonitoredWorkflows.of({ ...searchWorkflow(), throttles: true, usesUsageLedger: true }),
  ];

  test('shows degraded requests by action (SEARCH) and throttled requests (Model none) of the workflows that emit them', () => {
    const widget = titled(widgetsOf(signalling), 'Degraded and throttled');
    expect(widget.properties).toMatchObject({ period: 300, yAxis: { left: { label: 'Requests', min: 0 } } });
    expect(visible(widget).map((o: any) => [o.label, o.expression])).toEqual([
      ['support/chat degraded', 'SEARCH(\'{GenAI/FinOps,Application,Feature,Action} MetricName="DegradedRequests" Application="support" Feature="chat"\', \'Sum\', 300)'],
      ['support/chat throttled', '(FILL(s1_0, 0))'],
      ['support/search throttled', '(FILL(s2_0, 0))'],
    ]);
    expect(plainMetrics(widget)).toEqual([
      ['GenAI/FinOps', 'ThrottledRequests', 'Application', 'support', 'Feature', 'chat', 'Model', 'none'],
      ['GenAI/FinOps', 'ThrottledRequests', 'Application', 'support', 'Feature', 'search', 'Model', 'none'],
    ]);
  });

  test('shows the usage ledger\'s four events once per Application, by the Application only', () => {
    const widget = titled(widgetsOf(signalling), 'Usage ledger');
    expect(visible(widget).map((o: any) => [o.label, o.stat])).toEqual([
      ['support failed open', 'Sum'], ['support failed closed', 'Sum'], ['support holds expired', 'Sum'], ['support allowances expired', 'Sum'],
    ]);
    expect(plainMetrics(widget)).toEqual([
      ['GenAI/FinOps', 'GuardFailOpen', 'Application', 'support'],
      ['GenAI/FinOps', 'GuardFailClosed', 'Application', 'support'],
      ['GenAI/FinOps', 'GuardHoldsExpired', 'Application', 'support'],
      ['GenAI/FinOps', 'GuardAllowancesExpired', 'Application', 'support'],
    ]);
  });

  test('is its own row before the guardrails row, 24 columns wide, one widget full width when only one applies', () => {
    const widgets = widgetsOf(signalling);
    const headers = widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown.split('\n')[0]);
    expect(headers.slice(-2)).toEqual(['## Limits', '## Guardrails']);
    const row = widgets.filter((w) => ['Degraded and throttled', 'Usage ledger'].includes(w.properties.title));
    expect(row.map((w) => [w.x, w.width, w.y])).toEqual([[0, 12, row[0].y], [12, 12, row[0].y]]);

    const ledgerOnly = widgetsOf((stack) => [MonitoredWorkflows.of({ ...chatWorkflow(stack), usesUsageLedger: true })]);
    expect(titled(ledgerOnly, 'Usage ledger').width).toBe(24);
    expect(titled(ledgerOnly, 'Degraded and throttled')).toBeUndefined();
  });

  test('leaves the row out when no workflow can emit its metrics', () => {
    const widgets = widgetsOf((stack) => [chatWorkflow(stack), searchWorkflow()]);
    expect(widgets.map((w) => w.properties.markdown?.split('\n')[0])).not.toContain('## Limits');
    expect(titled(widgets, 'Degraded and throttled')).toBeUndefined();
    expect(titled(widgets, 'Usage ledger')).toBeUndefined();
  });

  test('reads the series the runtime writes: names, namespace and dimensions of its EMF records', async () => {
    const recorder = new PowertoolsRecorder();
    const degraded = (await emitted(() => recorder.record(sampleRecord(undefined, { degraded: { action: 'cheaper-tier', limit: 'tenant/month/costUsd', usedShare: 0.85 } }))))
      .find((m) => m.name === METRIC.degradedRequests)!;
    const [throttled] = await emitted(() => breakerThrottledReporter('support', new PowertoolsRecorder())('chat'));
    const ledger = await emitted(() => { for (const kind of LEDGER_KINDS) ledgerEventReporter('support', new PowertoolsRecorder())(ledgerEvent(kind)); });

    const widgets = widgetsOf(signalling);
    const search = visible(titled(widgets, 'Degraded and throttled'))[0].expression;
    expect(search).toBe(`SEARCH('{${degraded.namespace},${degraded.dimensions.join(',')}} MetricName="${degraded.name}" Application="${degraded.values.Application}" Feature="${degraded.values.Feature}"', 'Sum', 300)`);
    expect(plainMetrics(titled(widgets, 'Degraded and throttled'))[0]).toEqual([throttled.namespace, throttled.name, ...throttled.dimensions.flatMap((d) => [d, throttled.values[d]])]);
    expect(plainMetrics(titled(widgets, 'Usage ledger'))).toEqual(ledger.map((m) => [m.namespace, m.name, ...m.dimensions.flatMap((d) => [d, m.values[d]])]));
  });

  test('UsageLedger\'s metric methods read the series the ledger guard\'s events write', async () => {
    const stack = createTestStack();
    const ledger = new UsageLedger(stack, 'Ledger');
    const methods = [ledger.metricFailOpen, ledger.metricFailClosed, ledger.metricHoldsExpired, ledger.metricAllowancesExpired];
    const written = await emitted(() => { for (const kind of LEDGER_KINDS) ledgerEventReporter('support', new PowertoolsRecorder())(ledgerEvent(kind)); });

    expect(methods.map((m) => m.call(ledger, 'support')).map((metric) => ({
      namespace: metric.namespace, name: metric.metricName, dimensions: Object.keys(metric.dimensions!), values: metric.dimensions,
    }))).toEqual(written);
    expect(methods.map((m) => m.call(ledger, 'support')).map((metric) => [metric.statistic, metric.period.toMinutes()])).toEqual(Array(4).fill(['Sum', 5]));
    expect(ledger.metricAllowancesExpired('support', { period: Duration.hours(1) }).period.toHours()).toBe(1);
  });

  test('a workflow tells the dashboard what it can emit: nearLimit, a throttling breaker, limits in a usage ledger', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const ledger = new UsageLedger(stack, 'Ledger');
    const limits = [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 50 }];
    const all = new ApiWorkflow(stack, 'Chat', {
      tags: { feature: 'chat' }, usageLimits: limits, usageLedger: ledger, nearLimit: { action: NearLimitAction.CHEAPER_TIER },
      circuitBreaker: breaker, whenTripped: WhenTripped.THROTTLE,
    });
    const pausing = new ApiWorkflow(stack, 'Search', { tags: { feature: 'search' }, circuitBreaker: breaker, whenTripped: WhenTripped.PAUSE, usageLimits: limits });
    const critical = new ApiWorkflow(stack, 'Billing', { tags: { feature: 'billing' }, circuitBreaker: breaker, critical: true, usageLedger: ledger });
    const signals = (w: ApiWorkflow) => { const m = w.monitored(); return [m.degrades, m.throttles, m.usesUsageLedger]; };

    expect(signals(all)).toEqual([true, true, true]);
    // Limits counted per container, a pausing breaker: nothing of the row. A ledger without limits is never written to.
    expect(signals(pausing)).toEqual([false, false, false]);
    expect(signals(critical)).toEqual([false, false, false]);
  });
});
