import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { baseModelId } from '../core';
import { METRIC, METRIC_NAMESPACE, Recorder, RequestRecord } from './stages/record-request';

/**
 * Records each request as one EMF record with Powertools Metrics, and annotates the X-Ray trace with its model
 * and cost. Powertools is loaded on the first record, not at import: a cold start that never reaches a model
 * call does not pay for it.
 *
 * Dimensions are Application, Feature and Model (low cardinality, each combination is a billed metric);
 * tenant, user and request ids are EMF properties, searchable in Logs Insights without being dimensions.
 */
export class PowertoolsRecorder implements Recorder {
  private metrics?: Metrics;
  private tracer?: Tracer | null;

  record(record: RequestRecord): void {
    try {
      this.emitMetrics(record);
      this.annotateTrace(record);
    } catch (error) {
      console.error(JSON.stringify({ message: 'recording the request failed', error: String(error) }));
    }
  }

  private emitMetrics(record: RequestRecord): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Metrics: MetricsClass, MetricUnit } = require('@aws-lambda-powertools/metrics') as typeof import('@aws-lambda-powertools/metrics');
    if (!this.metrics) {
      this.metrics = new MetricsClass({ namespace: METRIC_NAMESPACE, serviceName: record.application });
      // Powertools adds a `service` dimension by default; the documented dimension set is exactly
      // Application, Feature, Model, which dashboards and alarms rely on.
      this.metrics.clearDefaultDimensions();
    }
    const m = this.metrics;
    const result = record.result;
    m.addDimensions({
      Application: record.application,
      Feature: record.feature,
      Model: result ? baseModelId(result.model.id) : 'none',
    });
    m.addMetric(METRIC.requests, MetricUnit.Count, 1);
    if (result) {
      m.addMetric(METRIC.inputTokens, MetricUnit.Count, result.usage.inputTokens);
      m.addMetric(METRIC.outputTokens, MetricUnit.Count, result.usage.outputTokens);
      m.addMetric(METRIC.cacheReadTokens, MetricUnit.Count, result.usage.cacheReadInputTokens);
      m.addMetric(METRIC.cacheWriteTokens, MetricUnit.Count, result.usage.cacheWriteInputTokens);
      m.addMetric(METRIC.costUsd, MetricUnit.NoUnit, result.cost.totalUsd);
      m.addMetric(METRIC.latencyMs, MetricUnit.Milliseconds, result.latencyMs);
      m.addMetric(METRIC.attempts, MetricUnit.Count, result.attempts);
      if (result.cache.response === 'hit') {
        m.addMetric(METRIC.responseCacheHits, MetricUnit.Count, 1);
        m.addMetric(METRIC.savedUsd, MetricUnit.NoUnit, result.cache.savedUsd ?? 0);
      } else if (result.cache.response === 'miss') {
        m.addMetric(METRIC.responseCacheMisses, MetricUnit.Count, 1);
      }
      m.addMetadata('route', result.model.tier);
      m.addMetadata('routeReasons', result.model.reasons.join('; '));
      m.addMetadata('priced', result.cost.priced);
      m.addMetadata('promptCache', result.cache.prompt);
    } else {
      m.addMetric(record.status < 500 ? METRIC.rejected : METRIC.failed, MetricUnit.Count, 1);
      m.addMetadata('status', String(record.status));
      if (record.errorCode) m.addMetadata('errorCode', record.errorCode);
    }
    if (record.request) {
      m.addMetadata('tenantId', record.request.tenantId);
      m.addMetadata('userId', record.request.userId);
      m.addMetadata('requestId', record.request.requestId);
    }
    m.publishStoredMetrics();
  }

  // The Lambda facade segment cannot carry annotations, so cost and model go on a subsegment of their own.
  private annotateTrace(record: RequestRecord): void {
    if (!record.result || !process.env._X_AMZN_TRACE_ID || !process.env.AWS_LAMBDA_FUNCTION_NAME) return;
    if (this.tracer === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
      this.tracer = new TracerClass({ serviceName: record.application });
    }
    const tracer = this.tracer;
    const parent = tracer?.getSegment();
    if (!tracer || !parent) return;
    const subsegment = parent.addNewSubsegment('## genai.request');
    subsegment.addAnnotation('model', baseModelId(record.result.model.id));
    subsegment.addAnnotation('tier', record.result.model.tier);
    subsegment.addAnnotation('costUsd', record.result.cost.totalUsd);
    subsegment.addAnnotation('feature', record.feature);
    subsegment.addAnnotation('responseCache', record.result.cache.response);
    subsegment.close();
  }
}
