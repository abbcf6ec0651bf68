import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { METRIC, METRIC_NAMESPACE, METRIC_PROPERTY, MetricName, NO_MODEL } from '../../shared/contract';
import { baseModelId } from '../../shared/core';
import { emitGenAiSpan } from './genai-span';
import { genAiTraceAttributes } from './genai-trace-attributes';
import { Recorder, SpendRecord } from './stages/record-request';

/**
 * Something a guard reports apart from a model call (the ledger failing open or closed, expired holds given back,
 * the breaker's table unreadable): one metric counted once, under the dimensions the contract gives that event.
 */
export interface GuardEventRecord {
  readonly metric: MetricName;
  /** Low-cardinality dimensions only (each combination is a billed metric), e.g. `{ Application }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** EMF properties: searchable in Logs Insights, no metric of their own. Undefined values are left out. */
  readonly properties?: Readonly<Record<string, string | number | undefined>>;
}

/** The X-Ray metadata namespace of a call's OpenTelemetry attributes. */
export const X_RAY_METADATA_NAMESPACE = 'genai_finops';

/**
 * Records each model call or refusal as one EMF record with Powertools Metrics, annotates the X-Ray trace with
 * its model and cost (and its attributes as metadata), and emits its OpenTelemetry span (`./genai-span`). Powertools
 * and the OpenTelemetry API are loaded on the first record, not at import: a cold start that never reaches a model
 * call does not pay for them.
 *
 * Dimensions are Application, Feature and Model (low cardinality, each combination is a billed metric);
 * tenant, user and request ids are EMF properties, searchable in Logs Insights without being dimensions.
 */
export class PowertoolsRecorder implements Recorder {
  private metrics?: Metrics;
  private tracer?: Tracer | null;

  record(record: SpendRecord): void {
    try {
      this.emitMetrics(record);
      this.annotateTrace(record);
    } catch (error) {
      console.error(JSON.stringify({ message: 'recording the request failed', error: String(error) }));
    }
    try {
      emitGenAiSpan(record);
    } catch (error) {
      console.error(JSON.stringify({ message: 'tracing the request failed', error: String(error) }));
    }
  }

  /**
   * One guard event as its own EMF record, published at once (a guard event is not part of a request's record:
   * a 503 fail-closed still gets its rejection record besides). Never throws into the guard that reports it.
   */
  recordGuardEvent(event: GuardEventRecord): void {
    try {
      const { metrics: m, MetricUnit } = this.loadMetrics(event.dimensions.Application);
      m.addDimensions({ ...event.dimensions });
      for (const [key, value] of Object.entries(event.properties ?? {})) {
        // EMF properties are any JSON value and Powertools stores them as given; it types them as strings only.
        // Numbers stay numbers, so Logs Insights can sum the tokens expired holds gave back.
        if (value !== undefined) m.addMetadata(key, value as string);
      }
      m.addMetric(event.metric, MetricUnit.Count, 1);
      m.publishStoredMetrics();
    } catch (error) {
      console.error(JSON.stringify({ message: 'recording a guard event failed', metric: event.metric, error: String(error) }));
    }
  }

  // Loaded on first use, not at import; one instance per container, since each record is published (and its
  // dimensions and properties cleared) before the next one starts.
  private loadMetrics(serviceName: string | undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Metrics: MetricsClass, MetricUnit } = require('@aws-lambda-powertools/metrics') as typeof import('@aws-lambda-powertools/metrics');
    if (!this.metrics) {
      this.metrics = new MetricsClass({ namespace: METRIC_NAMESPACE, serviceName });
      // Powertools adds a `service` dimension by default; the documented dimension set is exactly
      // Application, Feature, Model, which dashboards and alarms rely on.
      this.metrics.clearDefaultDimensions();
    }
    return { metrics: this.metrics, MetricUnit };
  }

  private emitMetrics(record: SpendRecord): void {
    const { metrics: m, MetricUnit } = this.loadMetrics(record.application);
    m.addDimensions({
      Application: record.application,
      Feature: record.feature,
      Model: record.modelId ? baseModelId(record.modelId) : NO_MODEL,
    });
    m.addMetric(METRIC.requests, MetricUnit.Count, 1);
    m.addMetadata('path', record.path);
    if (record.status < 400) {
      const usage = record.usage;
      if (usage) {
        m.addMetric(METRIC.inputTokens, MetricUnit.Count, usage.inputTokens);
        m.addMetric(METRIC.outputTokens, MetricUnit.Count, usage.outputTokens);
        m.addMetric(METRIC.cacheReadTokens, MetricUnit.Count, usage.cacheReadInputTokens);
        m.addMetric(METRIC.cacheWriteTokens, MetricUnit.Count, usage.cacheWriteInputTokens);
      }
      m.addMetric(METRIC.costUsd, MetricUnit.NoUnit, record.costUsd ?? 0);
      if (record.latencyMs !== undefined) m.addMetric(METRIC.latencyMs, MetricUnit.Milliseconds, record.latencyMs);
      if (record.attempts !== undefined) m.addMetric(METRIC.attempts, MetricUnit.Count, record.attempts);
      if (record.responseCache === 'hit') {
        m.addMetric(METRIC.responseCacheHits, MetricUnit.Count, 1);
        m.addMetric(METRIC.savedUsd, MetricUnit.NoUnit, record.savedUsd ?? 0);
      } else if (record.responseCache === 'miss') {
        m.addMetric(METRIC.responseCacheMisses, MetricUnit.Count, 1);
      }
      if (record.embeddingCache) {
        m.addMetric(METRIC.embeddingCacheHits, MetricUnit.Count, record.embeddingCache.hits);
        m.addMetric(METRIC.embeddingCacheMisses, MetricUnit.Count, record.embeddingCache.misses);
      }
      if (record.inputTokenBound !== undefined && usage && record.attempts) {
        const billed = usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens;
        m.addMetric(METRIC.inputTokenBound, MetricUnit.Count, record.inputTokenBound);
        m.addMetric(METRIC.inputTokenBoundExceeded, MetricUnit.Count, billed > record.inputTokenBound ? 1 : 0);
      }
      if (record.settleFailures) m.addMetric(METRIC.settleFailures, MetricUnit.Count, record.settleFailures);
      if (record.route) {
        m.addMetadata(METRIC_PROPERTY.route, record.route.tier);
        m.addMetadata('routeReasons', record.route.reasons.join('; '));
      }
      if (record.priced) m.addMetadata('priced', record.priced);
      if (record.promptCache) m.addMetadata('promptCache', record.promptCache);
      // EMF properties (not metrics): Logs Insights and reconciliation find the estimated settlements by them.
      if (record.estimated) m.addMetadata('estimated', true as unknown as string);
      if (record.errorCode) m.addMetadata('errorCode', record.errorCode);
      if (record.stream) {
        m.addMetadata('streamOutcome', record.stream.outcome);
        m.addMetadata('streamDeltasSent', record.stream.deltasSent as unknown as string);
      }
    } else {
      m.addMetric(record.status < 500 ? METRIC.rejected : METRIC.failed, MetricUnit.Count, 1);
      m.addMetadata('status', String(record.status));
      if (record.errorCode) m.addMetadata('errorCode', record.errorCode);
      if (record.estimated) m.addMetadata('estimated', true as unknown as string);
    }
    if (record.tenantId) m.addMetadata('tenantId', record.tenantId);
    if (record.userId) m.addMetadata('userId', record.userId);
    if (record.requestId) m.addMetadata('requestId', record.requestId);
    // Publishing clears the timestamp, so a record without one is stamped now, as before.
    if (record.timestampMs !== undefined) m.setTimestamp(record.timestampMs);
    m.publishStoredMetrics();
    if (record.degraded) this.emitDegraded(record, record.degraded);
  }

  // Its own EMF record: the Action dimension (four wire names) is not one of the request record's dimensions.
  private emitDegraded(record: SpendRecord, degraded: NonNullable<SpendRecord['degraded']>): void {
    this.recordGuardEvent({
      metric: METRIC.degradedRequests,
      dimensions: { Application: record.application, Feature: record.feature, Action: degraded.action },
      properties: { limit: degraded.limit, usedShare: degraded.usedShare, requestId: record.requestId, tenantId: record.tenantId, status: record.status },
    });
  }

  // The Lambda facade segment cannot carry annotations, so cost and model go on a subsegment of their own.
  private annotateTrace(record: SpendRecord): void {
    if (record.status >= 400 || !record.modelId || !process.env._X_AMZN_TRACE_ID || !process.env.AWS_LAMBDA_FUNCTION_NAME) return;
    if (this.tracer === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
      this.tracer = new TracerClass({ serviceName: record.application });
    }
    const tracer = this.tracer;
    const parent = tracer?.getSegment();
    if (!tracer || !parent) return;
    const subsegment = parent.addNewSubsegment(`## genai.${record.path}`);
    subsegment.addAnnotation('model', baseModelId(record.modelId));
    if (record.route) subsegment.addAnnotation('tier', record.route.tier);
    subsegment.addAnnotation('costUsd', record.costUsd ?? 0);
    subsegment.addAnnotation('feature', record.feature);
    if (record.responseCache) subsegment.addAnnotation('responseCache', record.responseCache);
    // Annotation keys take no dots (they are indexed for filter expressions: `annotation.run_id = "..."`); metadata
    // keys may, so the OpenTelemetry names go there as they are, for X-Ray users without an OpenTelemetry SDK.
    if (record.runId) subsegment.addAnnotation('run_id', record.runId);
    if (record.parentRunId) subsegment.addAnnotation('parent_run_id', record.parentRunId);
    for (const [key, value] of Object.entries(genAiTraceAttributes(record))) subsegment.addMetadata(key, value, X_RAY_METADATA_NAMESPACE);
    subsegment.close();
  }
}
