import { Match, Template } from 'aws-cdk-lib/assertions';
import { readBreakerHandlerConfig } from '../../lambda/breaker/config';
import { resolveIntrinsics } from '../support/intrinsics';
import { CodeBlock, removeOutdirs, runBlock, tsBlocks } from './code-blocks';

afterAll(removeOutdirs);

// The guardrail, visibility and reconciliation snippets of the docs wire what their text says they wire. (That
// every block compiles and synthesizes is code-blocks.test.ts's job; this checks what four of them build.)

function blockUnder(file: string, heading: string): CodeBlock {
  const block = tsBlocks(file).find((b) => b.heading === heading);
  if (!block) throw new Error(`${file} has no ts block under ${heading}`);
  return block;
}

function templateOf(file: string, heading: string): Template {
  const run = runBlock(blockUnder(file, heading));
  expect(run.warnings).toEqual([]);
  return Template.fromStack(run.stack!);
}

function breakerConfig(template: Template) {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('circuit breaker') } })) as any[];
  return readBreakerHandlerConfig(resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>);
}

test('the circuit breaker snippet wires its budgets and alarms to the breaker', () => {
  const config = breakerConfig(templateOf('docs/guardrails.md', '## Circuit breaker'));

  expect(config.budgets).toEqual([
    { name: 'customer-support-production', features: ['*'], period: 'month' },
    { name: 'customer-support-feature-ticket-attachments', features: ['ticket-attachments'], period: 'month' },
  ]);
  // Hourly and anomaly alarms of both workflows, the total, and the tripOnSpend alarm.
  expect(config.alarms.map((a) => a.features.join(',')).sort()).toEqual(['*', 'support-chat', 'support-chat', 'ticket-attachments', 'ticket-attachments', 'ticket-attachments']);
});

test('the budgets snippet creates the production, development and two feature budgets', () => {
  templateOf('docs/guardrails.md', '## Budgets, alerts and the edge rate limit').resourceCountIs('AWS::Budgets::Budget', 4);
});

test('the observability snippet alarms on every model the workflow routes to', () => {
  const template = templateOf('docs/observability.md', '## Observability: dashboard, alarms, cost anomalies');

  const spend = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('spent more than') } }));
  for (const model of ['claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-opus-4-5']) expect(spend).toContain(model);
});

test('the reconciliation snippet creates the archive, the meter table and the daily reconciliation', () => {
  const template = templateOf('docs/cost-reporting.md', '## Meter ↔ bill reconciliation: `MeterArchive`, `MeterTable`, `MeterReconciliation`, `genai-finops reconcile`');

  template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
  template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
  template.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'meter' }) });
  expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'GenAI/FinOps/Reconciliation' } }))).toHaveLength(2);
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finops@example.com' });
});
