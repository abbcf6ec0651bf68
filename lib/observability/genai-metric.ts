import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC, METRIC_NAMESPACE, MetricName } from '../../shared/contract';

/** Which records a metric aggregates: the runtime writes every record with Application, Feature and Model. */
export interface GenAiMetricScope {
  /** The `Application` dimension (the Application tag). */
  readonly application: string;
  /** The `Feature` dimension (the Feature tag). */
  readonly feature: string;
  /**
   * The `Model` dimension values to add up: the base model ids the workflow can call, and `none` (NO_MODEL) for
   * records of refusals, which reached no model.
   */
  readonly models: string[];
}

/** The default statistic of each metric: sums for counts and dollars, p50 for latency, maximum for the token bound. */
const DEFAULT_STATISTIC: Partial<Record<MetricName, string>> = {
  [METRIC.latencyMs]: 'p50',
  [METRIC.inputTokenBound]: 'Maximum',
};

/**
 * A metric the pipeline records, named and dimensioned as the contract says, over every model of the scope: one
 * metric for one model, else metric math adding the per-model metrics (missing points filled with 0), so that a
 * workflow routing across three models shows, and alarms on, one series. Alarms accept it (no SEARCH).
 *
 * The default statistic is Sum (p50 for LatencyMs, Maximum for InputTokenBound), over 5 minutes. Percentiles and
 * maxima of several models are the highest of the per-model values.
 */
export function genAiMetric(name: MetricName, scope: GenAiMetricScope, props: cloudwatch.MetricOptions = {}): cloudwatch.IMetric {
  const statistic = props.statistic ?? DEFAULT_STATISTIC[name] ?? 'Sum';
  const period = props.period ?? Duration.minutes(5);
  const models = [...new Set(scope.models)];
  const metricOf = (model: string) => new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { Application: scope.application, Feature: scope.feature, Model: model },
    ...props,
    statistic,
    period,
  });
  if (models.length === 1) return metricOf(models[0]);
  const usingMetrics = Object.fromEntries(models.map((model, i) => [`m${i}`, metricOf(model)]));
  return new cloudwatch.MathExpression({
    expression: acrossModels(Object.keys(usingMetrics), statistic),
    usingMetrics,
    period,
    label: props.label ?? name,
    color: props.color,
  });
}

/**
 * The per-model series of one metric combined: added up (`FILL(a, 0) + FILL(b, 0)`, a model without data counts 0)
 * for a sum or a count; for a percentile or a maximum, the highest per-model value (percentiles do not add).
 */
export function acrossModels(ids: ReadonlyArray<string>, statistic: string): string {
  const additive = statistic === 'Sum' || statistic === 'SampleCount';
  return additive ? ids.map((id) => `FILL(${id}, 0)`).join(' + ') : `MAX([${ids.join(', ')}])`;
}
