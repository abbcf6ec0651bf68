import { GenAiRequest, PipelineResult } from '../types';

/** What one request did, recorded once whether it was answered, served from cache or rejected. */
export interface RequestRecord {
  readonly application: string;
  readonly environment: string;
  readonly feature: string;
  readonly request?: GenAiRequest;
  readonly result?: PipelineResult;
  /** For rejected or failed requests: the HTTP status and code. */
  readonly status: number;
  readonly errorCode?: string;
}

/**
 * Stage 11 — record: one metric record per request. Implementations must never throw into the request path:
 * recording fails open (the answer is returned, the failure is logged).
 */
export interface Recorder {
  record(record: RequestRecord): void;
}

/** Metric names, in the `GenAI/FinOps` namespace; dimensions Application, Feature, Model. */
export const METRIC = {
  requests: 'Requests',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  cacheReadTokens: 'CacheReadInputTokens',
  cacheWriteTokens: 'CacheWriteInputTokens',
  costUsd: 'CostUSD',
  savedUsd: 'SavedUSD',
  latencyMs: 'LatencyMs',
  responseCacheHits: 'ResponseCacheHits',
  responseCacheMisses: 'ResponseCacheMisses',
  rejected: 'RejectedRequests',
  failed: 'FailedRequests',
  attempts: 'ModelAttempts',
} as const;

/** The namespace of the metrics. */
export const METRIC_NAMESPACE = 'GenAI/FinOps';

/** Keeps records in memory: for tests and the local demo. */
export class MemoryRecorder implements Recorder {
  public readonly records: RequestRecord[] = [];
  record(record: RequestRecord): void {
    this.records.push(record);
  }
}
