import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC, MetricName, NO_MODEL } from '../../shared/contract';
import { acrossModels, genAiMetric } from './genai-metric';
import { MonitoredWorkflow } from './monitored-workflow';

// The metrics whose records include refusals, which carry Model = none.
const WITH_REFUSALS = new Set<MetricName>([METRIC.requests, METRIC.rejected, METRIC.failed]);
// The metrics written only for requests that reached no model: Model is always none (breakerThrottledReporter).
const ONLY_REFUSALS = new Set<MetricName>([METRIC.throttledRequests]);

/** A metric math term: an expression over uniquely named metrics, to be combined into a bigger expression. */
export interface Term {
  readonly expression: string;
  readonly usingMetrics: Record<string, cloudwatch.IMetric>;
}

/**
 * One pipeline metric of some workflows, every model added up (`FILL(x, 0) + …`), or for a percentile or maximum
 * the highest per-model value. Ids are `${prefix}${n}`, so that several terms can share one expression or graph
 * (CloudWatch needs every id of a graph or alarm to be unique).
 */
export function pipelineTerm(name: MetricName, workflows: MonitoredWorkflow[], statistic: string, period: Duration, prefix: string): Term {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const w of workflows) {
    const models = ONLY_REFUSALS.has(name) ? [NO_MODEL] : [...new Set([...w.models, ...(WITH_REFUSALS.has(name) ? [NO_MODEL] : [])])];
    for (const model of models) {
      usingMetrics[`${prefix}${Object.keys(usingMetrics).length}`] = genAiMetric(name, { application: w.application, feature: w.feature, models: [model] }, { statistic, period });
    }
  }
  const ids = Object.keys(usingMetrics);
  const additive = statistic === 'Sum' || statistic === 'SampleCount';
  // Parenthesised when it is a sum, so that the term can stand in a bigger expression.
  const combined = acrossModels(ids, statistic);
  return { expression: additive ? `(${combined})` : combined, usingMetrics };
}

/** Terms added up: `(a + b)`. */
export function sumTerms(terms: Term[]): Term {
  return {
    expression: terms.length === 1 ? terms[0].expression : `(${terms.map((t) => t.expression).join(' + ')})`,
    usingMetrics: Object.assign({}, ...terms.map((t) => t.usingMetrics)),
  };
}

/** A term as a metric (a math expression). */
export function termMetric(term: Term, period: Duration, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression: term.expression, usingMetrics: term.usingMetrics, period, label });
}

/**
 * The running sum of a term since the first hour of the current calendar month (UTC), over a range of at most
 * 31 days: points whose month is the month of the latest point (found with EPOCH), summed with RUNNING_SUM.
 * The last value of the series is the month to date.
 */
export function monthToDateExpression(series: string): string {
  const latestMonth = `MAX(IF(EPOCH(${series}) >= MAX(EPOCH(${series})), MONTH(${series}), 0))`;
  return `RUNNING_SUM(IF(MONTH(${series}) == ${latestMonth}, ${series}, 0))`;
}
