import type { Tracer } from '@opentelemetry/api';
import { genAiSpanName, genAiTraceAttributes, isTracedCall } from './genai-trace-attributes';
import type { SpendRecord } from './stages/record-request';

/** The instrumentation scope of the library's spans (`otel.scope.name` in the exported spans). */
export const TRACER_NAME = 'genai-finops-constructs';

let tracer: Tracer | undefined;

/**
 * One OpenTelemetry span per model call, with the GenAI semantic conventions' attributes and the library's cost and
 * run attributes ({@link genAiTraceAttributes}), child of the active span (the Lambda invocation's, when an
 * OpenTelemetry SDK instruments the function).
 *
 * Written through `@opentelemetry/api` alone: with no SDK registered every call is a no-op (a non-recording span, no
 * export, no I/O). Adding the ADOT Lambda layer (Application Signals) registers an SDK whose provider the API finds
 * in its global registry, and the spans are exported with the invocation's trace. The API checks that registry
 * by version: a 1.y API uses a provider registered by a 1.x API only when x ≥ y, so the bundle keeps the oldest
 * 1.x minor that serves (package.json pins `~1.9`), not the newest.
 *
 * The span is made when the call is recorded, so it is given the call's own start (`latencyMs` before the record's
 * time) and end: it covers the request through the pipeline (guards, cache, model call, settlement). A response-
 * cache hit reached no model: its span is INTERNAL, with no usage and a cost of 0, beside the saving.
 */
export function emitGenAiSpan(record: SpendRecord, nowMs: number = Date.now()): void {
  if (!isTracedCall(record)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  tracer ??= api.trace.getTracer(TRACER_NAME);
  const endMs = record.timestampMs ?? nowMs;
  const span = tracer.startSpan(genAiSpanName(record), {
    kind: record.responseCache === 'hit' ? api.SpanKind.INTERNAL : api.SpanKind.CLIENT,
    startTime: endMs - (record.latencyMs ?? 0),
    attributes: genAiTraceAttributes(record),
  }, api.context.active());
  if (record.stream?.outcome === 'failed') {
    // The conventions' `error.type`: a low-cardinality code, here the one the stream's `error` event carried.
    span.setAttribute('error.type', record.errorCode ?? 'STREAM_FAILED');
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  }
  span.end(endMs);
}
