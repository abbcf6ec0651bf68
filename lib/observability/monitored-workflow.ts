import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { workflowLabel } from './dashboard-spec';

/**
 * A workflow as the dashboards and alarms see it: the Application and Feature its records carry, the models it can
 * call, and optionally its handler and dead-letter queue. Any workflow fits; the GenAI workflows map to it directly
 * (their Application and Feature tags, the base model ids of their inference profiles, `handler.function`,
 * `handler.logGroup`, `handler.deadLetterQueue`).
 */
export interface MonitoredWorkflow {
  /** The `Application` dimension (the Application tag). */
  readonly application: string;
  /** The `Feature` dimension (the Feature tag). */
  readonly feature: string;
  /**
   * The base model ids the workflow can call (its tiers, its embedding and batch models): the `Model` dimension values
   * its records carry. Refusals (`Model` = `none`) are added where they count.
   */
  readonly models: string[];
  /**
   * The Lambda function that runs the workflow.
   * @default - no handler error widget or alarm
   */
  readonly handler?: lambda.IFunction;
  /**
   * The handler's log group, which the route-mix and error-code tables query.
   * @default - the handler's log group when the handler is a `lambda.Function`, else no Logs Insights widgets
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * The handler's dead-letter queue.
   * @default - no dead-letter queue widget or alarm
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Whether the workflow uses Bedrock prompt caching: the prompt-cache alarm watches its models that support it.
   * @default true
   */
  readonly promptCaching?: boolean;
  /**
   * Whether a `nearLimit` policy can degrade its calls: the dashboard shows its `DegradedRequests` by action.
   * @default false
   */
  readonly degrades?: boolean;
  /**
   * Whether a tripped circuit breaker throttles it (`WhenTripped.THROTTLE`): the dashboard shows its
   * `ThrottledRequests`.
   * @default false
   */
  readonly throttles?: boolean;
  /**
   * Whether it counts its usage limits in a `UsageLedger`: the dashboard shows the ledger's events for its
   * Application (fail open, fail closed, expired holds and allowances).
   * @default false
   */
  readonly usesUsageLedger?: boolean;
}

/** The most models one workflow may list: a CloudWatch alarm's metric math may use at most 10 metrics. */
export const MAX_MODELS_PER_WORKFLOW = 10;

/** Helpers for {@link MonitoredWorkflow}. */
export class MonitoredWorkflows {
  /**
   * A monitored workflow from plain values, with the model list de-duplicated.
   */
  public static of(values: MonitoredWorkflow): MonitoredWorkflow {
    return { ...values, models: [...new Set(values.models)] };
  }

  private constructor() {}
}

/** The log group of a workflow's handler, if one can be queried. */
export function logGroupOf(workflow: MonitoredWorkflow): logs.ILogGroup | undefined {
  if (workflow.logGroup) return workflow.logGroup;
  return workflow.handler instanceof lambda.Function ? workflow.handler.logGroup : undefined;
}

/**
 * Checks a list of workflows once for every observability construct: not empty, each with models, at most
 * {@link MAX_MODELS_PER_WORKFLOW} of them, and no two sharing Application and Feature (their series would be one).
 */
export function validateWorkflows(scope: IConstruct, workflows: MonitoredWorkflow[]): void {
  if (workflows.length === 0) {
    throw new Error(`${scope.node.path}: workflows is empty. Fix: pass the workflows to watch, e.g. workflows: [MonitoredWorkflows.of({ application: 'support', feature: 'chat', models: ['anthropic.claude-haiku-4-5-20251001-v1:0'] })].`);
  }
  const seen = new Set<string>();
  for (const w of workflows) {
    if (Token.isUnresolved(w.application) || Token.isUnresolved(w.feature)) {
      throw new Error(`${scope.node.path}: a workflow's application or feature is an unresolved token; metric dimensions must be known at synth. Fix: pass the literal Application and Feature tag values.`);
    }
    if (!w.application || !w.feature) {
      throw new Error(`${scope.node.path}: a workflow has application '${w.application}' and feature '${w.feature}'. Fix: pass both, the workflow's Application and Feature tags.`);
    }
    const label = workflowLabel(w);
    if (seen.has(label)) {
      throw new Error(`${scope.node.path}: two workflows are both ${label}; their metrics would be one series. Fix: list each Application and Feature once.`);
    }
    seen.add(label);
    const models = new Set(w.models);
    if (models.size === 0) {
      throw new Error(`${scope.node.path}: workflow ${label} has no models. Fix: list the base model ids it calls (its tiers, embedding and batch models), e.g. 'anthropic.claude-haiku-4-5-20251001-v1:0'.`);
    }
    if (models.size > MAX_MODELS_PER_WORKFLOW) {
      throw new Error(`${scope.node.path}: workflow ${label} lists ${models.size} models; an alarm's metric math can add up at most ${MAX_MODELS_PER_WORKFLOW} metrics. Fix: list only the models it can route to, or split it into workflows by Feature.`);
    }
  }
}
