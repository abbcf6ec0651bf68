import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import type { GenAiMetricScope } from './genai-metric';
import type { MonitoredWorkflow } from './monitored-workflow';

// The scope each hand-built spend metric was made from (CircuitBreaker.hourlyCostMetric), to check it at synthesis.
const SCOPES = new WeakMap<cloudwatch.IMetric, GenAiMetricScope>();

/** Remembers the Application, Feature and models a spend metric adds up. */
export function rememberMetricScope(metric: cloudwatch.IMetric, scope: GenAiMetricScope): cloudwatch.IMetric {
  SCOPES.set(metric, scope);
  return metric;
}

/**
 * Problems of a metric made with {@link rememberMetricScope}: see {@link missingModels}. Metrics built otherwise are
 * not checked.
 */
export function checkSpendMetricModels(root: IConstruct, metric: cloudwatch.IMetric): string[] {
  const scope = SCOPES.get(metric);
  return scope ? missingModels(root, scope) : [];
}

/**
 * A model list typed by hand drifts from what the workflow routes to: a spend metric adding up Haiku and Sonnet never
 * sees the Opus or embeddings spend of the same workflow. For each workflow of the app with the same Application and
 * Feature (any construct with a `monitored()` method, e.g. the GenAI workflows), the models it spends on that the
 * list lacks, as a sentence naming the fix; empty when the list covers them or no such workflow is in the app.
 */
export function missingModels(root: IConstruct, scope: GenAiMetricScope, what = 'the metric'): string[] {
  if ([scope.application, scope.feature].some((v) => Token.isUnresolved(v))) return [];
  const listed = new Set(scope.models);
  const messages: string[] = [];
  for (const construct of root.node.findAll()) {
    const monitored = (construct as { monitored?: () => MonitoredWorkflow }).monitored;
    if (typeof monitored !== 'function') continue;
    const w = monitored.call(construct);
    if (w.application !== scope.application || w.feature !== scope.feature) continue;
    const missing = w.models.filter((m) => !listed.has(m));
    if (missing.length > 0) {
      messages.push(`${what} adds up models ${[...listed].join(', ')} of Application=${scope.application}, Feature=${scope.feature}, but workflow ${construct.node.path} also spends on ${missing.join(', ')}: that spend is not counted. `
        + 'Fix: take the models from the workflow (workflow.monitored().models, or pass workflow.monitored() itself) instead of typing them.');
    }
  }
  return messages;
}
