/**
 * What `local invoke --workflow <name>` runs: one of the library's workflows (or the circuit breaker) with its
 * default props, synthesized in process like the demo stack, so that the function gets the environment the
 * construct gives it and no copy of the constructs' configuration is written by hand. The tags are the example
 * app's (Application `customer-support`, a Feature per workflow).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ApiWorkflow, CircuitBreaker, DocumentWorkflow, GenAiTags, ScheduledWorkflow } from '../../../../lib';
import { METRIC, METRIC_NAMESPACE } from '../../../../shared/contract';
import { asTemplate, CloudFormationTemplate, LOCAL_ACCOUNT, LOCAL_REGION } from '../template';
import type { Workflow } from './function-env';

/** The stack's name. */
export const WORKFLOW_STACK = 'GenAiFinOpsLocal';
/** The application, and the feature of each workflow (the sample events' and the breaker's). */
export const LOCAL_APPLICATION = 'customer-support';
export const LOCAL_FEATURES: Readonly<Record<Workflow, string>> = { api: 'support-chat', document: 'ticket-attachments', scheduled: 'conversation-digest' };
/** The budget and the alarm the local breaker acts on: the ones the sample SNS events name. */
export const LOCAL_BREAKER_BUDGET = 'genai-monthly-total';
export const LOCAL_BREAKER_ALARM = 'genai-support-chat-spend';

/** A synthesized one-function stack. */
export interface WorkflowTemplate {
  readonly stackName: string;
  readonly template: CloudFormationTemplate;
  /** The logical id of the function to run. */
  readonly functionId: string;
}

/**
 * Synthesizes the workflow with default props (the breaker: every feature on the monthly budget, the support chat
 * on its spend alarm).
 */
export function synthesizeWorkflowStack(workflow: Workflow | 'breaker'): WorkflowTemplate {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-local-synth-'));
  try {
    // As in the demo stack: no CloudFormation schema validation (most of a synth) and no asset copies.
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    GenAiTags.apply(app, { environment: 'development', application: LOCAL_APPLICATION, team: 'support', costCenter: 'operations', customer: 'internal' });
    const stack = new Stack(app, WORKFLOW_STACK, { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
    let handler: { node: { defaultChild?: unknown } };
    if (workflow === 'breaker') {
      const breaker = new CircuitBreaker(stack, 'Breaker', { application: LOCAL_APPLICATION, budgets: [{ budgetName: LOCAL_BREAKER_BUDGET, features: ['*'] }] });
      breaker.tripOnAlarm(new cloudwatch.Alarm(stack, 'SupportChatSpend', {
        alarmName: LOCAL_BREAKER_ALARM,
        metric: new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE, metricName: METRIC.costUsd, statistic: 'Sum', period: Duration.hours(1),
          dimensionsMap: { Application: LOCAL_APPLICATION, Feature: LOCAL_FEATURES.api },
        }),
        threshold: 25,
        evaluationPeriods: 1,
      }), [LOCAL_FEATURES.api]);
      handler = breaker.handler.function;
    } else {
      const tags = { feature: LOCAL_FEATURES[workflow] };
      handler = workflow === 'api' ? new ApiWorkflow(stack, 'Api', { tags }).handler
        : workflow === 'document' ? new DocumentWorkflow(stack, 'Document', { tags }).handler
          : new ScheduledWorkflow(stack, 'Scheduled', { tags }).handler;
    }
    const template = asTemplate(app.synth().getStackByName(WORKFLOW_STACK).template, `the stack ${WORKFLOW_STACK}`);
    return { stackName: WORKFLOW_STACK, template, functionId: stack.getLogicalId(handler.node.defaultChild as CfnFunction) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
