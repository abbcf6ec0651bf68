/**
 * The demo's "deployment": a stack of the library's own constructs, synthesized in process, one API workflow per
 * lever run and per guardrail step, with the usage ledger and the circuit breaker they use. The functions get the
 * environment the template gives them (GENAI_PIPELINE_CONFIG, GENAI_TAGS, GENAI_BREAKER_CONFIG, table names),
 * resolved as `local invoke --template` resolves it, so the demo runs what `cdk deploy` would configure and no
 * copy of the constructs' configuration is written by hand here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  ApiWorkflow, ApiWorkflowProps, BedrockModel, CircuitBreaker, CrossRegionGeography, GenAiTags, RoutingTier, UsageLedger, UsageScope,
  UsageWindow, WhenTripped,
} from '../../../../lib';
import { METRIC, METRIC_NAMESPACE } from '../../../../shared/contract';
import { asTemplate, CloudFormationTemplate, LOCAL_ACCOUNT, LOCAL_REGION } from '../template';
import {
  BREAKER_FEATURES, FEATURE_ALARM, GLOBAL_ALARM, TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT,
} from './guardrail-settings';
import { Levers, NAIVE_MAX_OUTPUT_TOKENS, NAIVE_MODEL, SCENARIOS } from './scenarios';

/** The demo stack's name, and the example's tags (as the example app sets them). */
export const DEMO_STACK = 'GenAiFinOpsDemo';
export const DEMO_APPLICATION = 'customer-support';
const DEMO_FEATURE = 'support-chat';

/** The synthesized stack, and the logical ids of the functions each run uses. */
export interface DemoTemplate {
  readonly stackName: string;
  readonly template: CloudFormationTemplate;
  /** The API function of each lever run, by scenario id. */
  readonly scenarios: Readonly<Record<string, string>>;
  /** The API function the runaway tenant's burst goes to (usage ledger, tenant quota). */
  readonly quota: string;
  /** The API function of each breaker feature. */
  readonly breakerFeatures: Readonly<Record<string, string>>;
  /** The circuit breaker's function. */
  readonly breaker: string;
}

/** The workflow props of a lever run: what a team changes to pull each lever. */
export function leverProps(levers: Levers): ApiWorkflowProps {
  return {
    tags: { feature: DEMO_FEATURE },
    // Without routing, one large model; with it, the library's default routing (Haiku / Sonnet / Opus).
    ...(levers.routing ? {} : { model: BedrockModel.crossRegion(CrossRegionGeography.US, NAIVE_MODEL) }),
    promptCaching: levers.promptCaching,
    responseCaching: levers.responseCache,
    // The library's output cap is its default; the naive deployment sets a generous one.
    ...(levers.outputCap ? {} : { maxTokens: NAIVE_MAX_OUTPUT_TOKENS }),
  };
}

/** Builds and synthesizes the demo stack (in a temporary folder, removed afterwards). */
export function synthesizeDemoStack(): DemoTemplate {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-demo-synth-'));
  try {
    // CloudFormation's schema validation (a WebAssembly engine) takes most of a synth and checks nothing the demo needs.
    // Asset staging off: the demo runs the bundles in place, and copying them would only cost time.
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    GenAiTags.apply(app, { environment: 'development', application: DEMO_APPLICATION, team: 'support', costCenter: 'operations', customer: 'internal' });
    // A Region, so that the default US routing is checked against it (as a deployed stack would be).
    const stack = new Stack(app, DEMO_STACK, { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
    const functionId = (workflow: ApiWorkflow | CircuitBreaker) =>
      stack.getLogicalId((workflow instanceof CircuitBreaker ? workflow.handler.function : workflow.handler).node.defaultChild as CfnFunction);

    const scenarios: Record<string, string> = {};
    const levers = new Construct(stack, 'Levers');
    for (const scenario of SCENARIOS) scenarios[scenario.id] = functionId(new ApiWorkflow(levers, scenario.id, leverProps(scenario.levers)));

    // 1. A tenant quota in the usage ledger: tokens and USD per tenant and day.
    const guardrails = new Construct(stack, 'Guardrails');
    const ledger = new UsageLedger(guardrails, 'UsageLedger');
    const quota = new ApiWorkflow(guardrails, 'Quota', {
      tags: { feature: DEMO_FEATURE },
      responseCaching: false,
      usageLedger: ledger,
      usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.DAY, maxTokens: TENANT_TOKEN_LIMIT, maxCostUsd: TENANT_USD_LIMIT }],
    });

    // 2. A circuit breaker tripped by spend alarms; three features: paused, downgraded, critical.
    // The cache TTL is 0, so that the requests right after a trip see it (the default 30 s keeps reads rare).
    const breaker = new CircuitBreaker(guardrails, 'Breaker', { application: DEMO_APPLICATION, cacheTtl: Duration.seconds(0) });
    const breakerFeatures: Record<string, string> = {};
    for (const [feature, policy] of Object.entries(BREAKER_FEATURES)) {
      const workflow = new ApiWorkflow(guardrails, `Feature-${feature}`, {
        tags: { feature },
        responseCaching: false,
        circuitBreaker: breaker,
        critical: policy.critical,
        whenTripped: policy.whenTripped === 'downgrade' ? WhenTripped.DOWNGRADE : WhenTripped.PAUSE,
        ...(policy.whenTripped === 'downgrade' ? { downgradeTo: RoutingTier.SIMPLE } : {}),
      });
      breakerFeatures[feature] = functionId(workflow);
    }
    const costPerHour = (dimensionsMap: Record<string, string>) => new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE, metricName: METRIC.costUsd, dimensionsMap, statistic: 'Sum', period: Duration.hours(1),
    });
    breaker.tripOnAlarm(new cloudwatch.Alarm(guardrails, 'SupportChatSpend', {
      alarmName: FEATURE_ALARM, metric: costPerHour({ Application: DEMO_APPLICATION, Feature: DEMO_FEATURE }), threshold: 25, evaluationPeriods: 1,
    }), [DEMO_FEATURE]);
    breaker.tripOnAlarm(new cloudwatch.Alarm(guardrails, 'TotalSpend', {
      alarmName: GLOBAL_ALARM, metric: costPerHour({ Application: DEMO_APPLICATION }), threshold: 100, evaluationPeriods: 1,
    }), ['*']);

    const template = asTemplate(app.synth().getStackByName(DEMO_STACK).template, `the demo stack ${DEMO_STACK}`);
    return { stackName: DEMO_STACK, template, scenarios, quota: functionId(quota), breakerFeatures, breaker: functionId(breaker) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
