import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GenAiFunction } from '../../../lib';
import { MonitoredWorkflow, MonitoredWorkflows } from '../../../lib/observability';

export const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
export const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
export const TITAN_EMBED = 'amazon.titan-embed-text-v2:0';

/** A chat workflow with a real GenAI function (handler, log group, dead-letter queue) and two models. */
export function chatWorkflow(stack: Stack, id = 'Chat'): MonitoredWorkflow {
  const fn = new GenAiFunction(stack, id, { code: lambda.Code.fromInline('exports.handler = async () => ({})'), handler: 'index.handler' });
  return MonitoredWorkflows.of({
    application: 'support', feature: 'chat', models: [HAIKU, SONNET, HAIKU],
    handler: fn.function, logGroup: fn.logGroup, deadLetterQueue: fn.deadLetterQueue,
  });
}

/** An embedding workflow with no handler of its own. */
export function searchWorkflow(): MonitoredWorkflow {
  return MonitoredWorkflows.of({ application: 'support', feature: 'search', models: [TITAN_EMBED], promptCaching: false });
}

/** The dashboard body of a synthesized template, parsed. */
export function dashboardBody(template: { findResources(type: string): Record<string, any> }, resolve: (v: unknown) => unknown): any {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  return JSON.parse(resolve(dashboard.Properties.DashboardBody) as string);
}
