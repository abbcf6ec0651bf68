import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { GenAiDashboard, GenAiDashboardProps, MonitoredWorkflows } from '../../../lib/observability';
import { resolveIntrinsics } from '../../support/intrinsics';
import { createTestStack } from '../../support/test-app';
import { chatWorkflow, dashboardBody, HAIKU, searchWorkflow, SONNET, TITAN_EMBED } from './support';

function dashboardOf(props: Partial<GenAiDashboardProps> = {}) {
  const stack = createTestStack();
  const dashboard = new GenAiDashboard(stack, 'Dashboard', { workflows: [chatWorkflow(stack), searchWorkflow()], ...props });
  const template = Template.fromStack(stack);
  const body = dashboardBody(template, resolveIntrinsics);
  return { dashboard, template, body, widgets: body.widgets as any[] };
}

const widget = (widgets: any[], title: string) => {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget '${title}' in ${widgets.map((w) => w.properties.title)}`);
  return found;
};
// The visible series of a graph: [label, expression or metric name].
const series = (w: any) => w.properties.metrics
  .map((m: any[]) => m[m.length - 1])
  .filter((o: any) => o.visible !== false)
  .map((o: any) => [o.label, o.expression ?? 'metric']);
// The hidden per-model metrics of a graph: [id, metric name, feature, model, stat, period].
const perModel = (w: any) => w.properties.metrics.filter((m: any[]) => m[0] === 'GenAI/FinOps').map((m: any[]) => {
  const o = m[m.length - 1];
  return [o.id, m[1], m[5], m[7], o.stat, o.period ?? w.properties.period];
});

describe('GenAiDashboard', () => {
  test('lays the rows out under markdown headers, 24 columns wide each', () => {
    const { widgets } = dashboardOf();
    expect(widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown.split('\n')[0])).toEqual([
      '## Spend', '## Tokens', '## Caches', '## Routing and rejections', '## Latency and Bedrock', '## Handlers', '## Guardrails',
    ]);
    const rows = new Map<number, number>();
    for (const w of widgets) rows.set(w.y, (rows.get(w.y) ?? 0) + w.width);
    expect([...rows.values()].every((width) => width === 24)).toBe(true);
  });

  test('shows cost per hour per workflow, every model added up, and the total', () => {
    const cost = widget(dashboardOf().widgets, 'Cost per hour (USD)');
    expect(cost.properties).toMatchObject({ period: 3600, yAxis: { left: { label: 'USD', min: 0, showUnits: false } } });
    expect(series(cost)).toEqual([
      ['support/chat', '(FILL(s0_0, 0) + FILL(s0_1, 0))'],
      ['support/search', '(FILL(s1_0, 0))'],
      ['Total', '(FILL(s2_0, 0) + FILL(s2_1, 0) + FILL(s2_2, 0))'],
    ]);
    expect(perModel(cost)).toEqual([
      ['s0_0', 'CostUSD', 'chat', HAIKU, 'Sum', 3600], ['s0_1', 'CostUSD', 'chat', SONNET, 'Sum', 3600],
      ['s1_0', 'CostUSD', 'search', TITAN_EMBED, 'Sum', 3600],
      ['s2_0', 'CostUSD', 'chat', HAIKU, 'Sum', 3600], ['s2_1', 'CostUSD', 'chat', SONNET, 'Sum', 3600], ['s2_2', 'CostUSD', 'search', TITAN_EMBED, 'Sum', 3600],
    ]);
  });

  test('shows the month to date as a running sum of this calendar month\'s hours over the last 31 days', () => {
    const mtd = widget(dashboardOf().widgets, 'Month to date (USD)');
    expect(mtd.properties).toMatchObject({ view: 'singleValue', period: 3600, start: '-P31D' });
    expect(series(mtd)).toEqual([
      ['support/chat', 'RUNNING_SUM(IF(MONTH(s0) == MAX(IF(EPOCH(s0) >= MAX(EPOCH(s0)), MONTH(s0), 0)), s0, 0))'],
      ['support/search', 'RUNNING_SUM(IF(MONTH(s1) == MAX(IF(EPOCH(s1) >= MAX(EPOCH(s1)), MONTH(s1), 0)), s1, 0))'],
      ['Total', 'RUNNING_SUM(IF(MONTH(s2) == MAX(IF(EPOCH(s2) >= MAX(EPOCH(s2)), MONTH(s2), 0)), s2, 0))'],
    ]);
    const inner = mtd.properties.metrics.map((m: any[]) => m[m.length - 1]).find((o: any) => o.id === 's0');
    expect(inner).toMatchObject({ visible: false, expression: '(FILL(s0_0, 0) + FILL(s0_1, 0))' });
  });

  test('shows response-cache savings and tokens by bucket and by model', () => {
    const { widgets } = dashboardOf();
    expect(perModel(widget(widgets, 'Saved by the response cache per hour (USD)')).map((m: any[]) => m[1])).toEqual(['SavedUSD', 'SavedUSD', 'SavedUSD']);
    const tokens = widget(widgets, 'Tokens by workflow');
    expect(tokens.properties.stacked).toBe(true);
    expect(series(tokens).map((s: any[]) => s[0])).toEqual([
      'support/chat input', 'support/chat output', 'support/chat cache read', 'support/chat cache write',
      'support/search input', 'support/search output', 'support/search cache read', 'support/search cache write',
    ]);
    expect([...new Set(perModel(tokens).map((m: any[]) => m[1]))]).toEqual(['InputTokens', 'OutputTokens', 'CacheReadInputTokens', 'CacheWriteInputTokens']);
    expect(series(widget(widgets, 'Input and output tokens by model'))).toEqual([
      ['support/chat input', 'SEARCH(\'{GenAI/FinOps,Application,Feature,Model} MetricName="InputTokens" Application="support" Feature="chat"\', \'Sum\', 300)'],
      ['support/chat output', 'SEARCH(\'{GenAI/FinOps,Application,Feature,Model} MetricName="OutputTokens" Application="support" Feature="chat"\', \'Sum\', 300)'],
      ['support/search input', 'SEARCH(\'{GenAI/FinOps,Application,Feature,Model} MetricName="InputTokens" Application="support" Feature="search"\', \'Sum\', 300)'],
      ['support/search output', 'SEARCH(\'{GenAI/FinOps,Application,Feature,Model} MetricName="OutputTokens" Application="support" Feature="search"\', \'Sum\', 300)'],
    ]);
  });

  test('shows the cache hit rates in percent, with the 90 % prompt-cache target as an annotation', () => {
    const { widgets } = dashboardOf();
    const prompt = widget(widgets, 'Prompt-cache hit rate (%)');
    expect(prompt.properties).toMatchObject({ period: 3600, yAxis: { left: { min: 0, max: 100 } }, annotations: { horizontal: [{ label: 'Target 90 %', value: 90 }] } });
    expect(series(prompt)[0]).toEqual(['support/chat',
      '100 * (FILL(s0_0_0, 0) + FILL(s0_0_1, 0)) / ((FILL(s0_1_0, 0) + FILL(s0_1_1, 0)) + (FILL(s0_2_0, 0) + FILL(s0_2_1, 0)) + (FILL(s0_3_0, 0) + FILL(s0_3_1, 0)))']);
    expect(perModel(prompt).filter((m: any[]) => m[2] === 'chat').map((m: any[]) => [m[0], m[1]])).toEqual([
      ['s0_0_0', 'CacheReadInputTokens'], ['s0_0_1', 'CacheReadInputTokens'], ['s0_1_0', 'InputTokens'], ['s0_1_1', 'InputTokens'],
      ['s0_2_0', 'CacheReadInputTokens'], ['s0_2_1', 'CacheReadInputTokens'], ['s0_3_0', 'CacheWriteInputTokens'], ['s0_3_1', 'CacheWriteInputTokens'],
    ]);
    expect([...new Set(perModel(widget(widgets, 'Response-cache hit rate (%)')).map((m: any[]) => m[1]))]).toEqual(['ResponseCacheHits', 'ResponseCacheMisses']);
    expect(series(widget(widgets, 'Embedding-cache hit rate (%)'))[1]).toEqual(['support/search', '100 * (FILL(s1_0_0, 0)) / ((FILL(s1_1_0, 0)) + (FILL(s1_2_0, 0)))']);
  });

  test('counts the route mix and rejection error codes with Logs Insights over the handlers\' log groups', () => {
    const { widgets } = dashboardOf();
    const routes = widget(widgets, 'Route mix by tier');
    expect(routes.type).toBe('log');
    expect(routes.properties.view).toBe('table');
    expect(routes.properties.query).toBe("SOURCE 'ref:ChatLogGroup393704EE' | fields route\n| filter ispresent(route)\n| stats count(*) as requests by route\n| sort requests desc");
    expect(widget(widgets, 'Rejections by error code').properties.query).toMatch(/stats count\(\*\) as requests by errorCode/);
  });

  test('counts rejections and failures, refusals (Model none) included', () => {
    const rejections = widget(dashboardOf().widgets, 'Rejected and failed requests');
    expect(series(rejections).map((s: any[]) => s[0])).toEqual(['support/chat rejected', 'support/chat failed', 'support/search rejected', 'support/search failed']);
    expect(perModel(rejections).filter((m: any[]) => m[1] === 'RejectedRequests' && m[2] === 'chat').map((m: any[]) => m[3])).toEqual([HAIKU, SONNET, 'none']);
  });

  test('shows latency p50 and p99, the highest of the models', () => {
    const latency = widget(dashboardOf().widgets, 'Latency p50 / p99 (ms)');
    expect(series(latency)).toEqual([
      ['support/chat p50', 'MAX([s0_0, s0_1])'], ['support/chat p99', 'MAX([s1_0, s1_1])'],
      ['support/search p50', 'MAX([s2_0])'], ['support/search p99', 'MAX([s3_0])'],
    ]);
    expect(perModel(latency).map((m: any[]) => m[4])).toEqual(['p50', 'p50', 'p99', 'p99', 'p50', 'p99']);
  });

  test('shows Bedrock throttles and errors by ModelId with Metrics Insights', () => {
    const { widgets } = dashboardOf();
    expect(series(widget(widgets, 'Bedrock throttles by model'))).toEqual([['Throttles', 'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId']]);
    expect(series(widget(widgets, 'Bedrock errors by model'))).toEqual([
      ['Client errors', 'SELECT SUM(InvocationClientErrors) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId'],
      ['Server errors', 'SELECT SUM(InvocationServerErrors) FROM SCHEMA("AWS/Bedrock", ModelId) GROUP BY ModelId'],
    ]);
  });

  test('shows handler errors and dead-letter depth of the workflows that have them', () => {
    const { widgets } = dashboardOf();
    const errors = widget(widgets, 'Handler errors and throttles');
    expect(errors.properties.metrics.map((m: any[]) => [m[0], m[1], m[m.length - 1].label, m[m.length - 1].stat])).toEqual([
      ['AWS/Lambda', 'Errors', 'support/chat errors', 'Sum'], ['AWS/Lambda', 'Throttles', 'support/chat throttles', 'Sum'],
    ]);
    const dead = widget(widgets, 'Dead-letter queue depth');
    expect(dead.properties.metrics.map((m: any[]) => [m[0], m[1], m[m.length - 1].stat])).toEqual([['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum']]);
    expect(dead.properties.annotations.horizontal).toEqual([{ label: 'Alarm above 0', value: 0, yAxis: 'left' }]);
  });

  test('shows guard health and the largest request against the 20,000-token alert in the last row', () => {
    const { widgets } = dashboardOf();
    const guards = widget(widgets, 'Settle failures and exceeded token bounds');
    expect([...new Set(perModel(guards).map((m: any[]) => m[1]))]).toEqual(['GuardSettleFailures', 'InputTokenBoundExceeded']);
    const largest = widget(widgets, 'Largest request (input-token bound)');
    expect(series(largest)).toEqual([['support/chat', 'MAX([s0_0, s0_1])'], ['support/search', 'MAX([s1_0])']]);
    expect(perModel(largest).map((m: any[]) => [m[1], m[4]])).toEqual([['InputTokenBound', 'Maximum'], ['InputTokenBound', 'Maximum'], ['InputTokenBound', 'Maximum']]);
    expect(largest.properties.annotations.horizontal).toEqual([{ label: 'Content-length alarm 20,000', value: 20000, yAxis: 'left' }]);
    expect(Math.max(...widgets.map((w) => w.y))).toBe(largest.y);
  });

  test('adds guardrail widgets, given or added later, below the guardrails row', () => {
    const breaker = new cloudwatch.TextWidget({ markdown: 'breaker state', width: 24 });
    const { dashboard, widgets } = dashboardOf({ guardrailWidgets: [breaker] });
    const guardrails = widgets.find((w) => w.properties.markdown?.startsWith('## Guardrails'));
    const added = widgets.find((w) => w.properties.markdown === 'breaker state');
    expect(added.y).toBeGreaterThan(guardrails.y);
    expect(dashboard._widgetSpecs.map((s) => s.id)).toContain('guard-health');
  });

  test('leaves out the Logs Insights, handler and queue widgets for workflows without a handler', () => {
    const stack = createTestStack();
    new GenAiDashboard(stack, 'Dashboard', { workflows: [searchWorkflow()] });
    const widgets = dashboardBody(Template.fromStack(stack), resolveIntrinsics).widgets as any[];
    expect(widgets.filter((w) => w.type === 'log')).toHaveLength(0);
    expect(widgets.map((w) => w.properties.title)).not.toContain('Handler errors and throttles');
    expect(widget(widgets, 'Rejected and failed requests').width).toBe(24);
    expect(series(widget(widgets, 'Cost per hour (USD)')).map((s: any[]) => s[0])).toEqual(['support/search']);
  });

  test('fails when the workflow list is empty', () => {
    expect(() => dashboardOf({ workflows: [] })).toThrow(/TestStack\/Dashboard: workflows is empty\. Fix: pass the workflows to watch/);
  });

  test('fails when two workflows share Application and Feature, or one has no models', () => {
    const same = MonitoredWorkflows.of({ application: 'support', feature: 'search', models: [HAIKU] });
    expect(() => dashboardOf({ workflows: [searchWorkflow(), same] })).toThrow(/two workflows are both support\/search.*Fix: list each Application and Feature once/);
    expect(() => dashboardOf({ workflows: [MonitoredWorkflows.of({ application: 'a', feature: 'f', models: [] })] })).toThrow(/workflow a\/f has no models\. Fix: list the base model ids/);
    const many = Array.from({ length: 11 }, (_, i) => `amazon.nova-${i}-v1:0`);
    expect(() => dashboardOf({ workflows: [MonitoredWorkflows.of({ application: 'a', feature: 'f', models: many })] })).toThrow(/lists 11 models; an alarm's metric math can add up at most 10/);
  });

  test('matches the snapshot', () => {
    // Workflows that emit every guard signal, so the limits row (genai-dashboard-limits.test.ts) is in it too.
    const stack = createTestStack();
    const workflows = [
      MonitoredWorkflows.of({ ...chatWorkflow(stack), degrades: true, throttles: true, usesUsageLedger: true }),
      MonitoredWorkflows.of({ ...searchWorkflow(), usesUsageLedger: true }),
    ];
    new GenAiDashboard(stack, 'Dashboard', { workflows });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});
