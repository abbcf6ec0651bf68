import type { SpendPath, ModelTier, ServiceTierName } from '../../../shared/contract';
import type { Usage } from '../types';
import type { Degradation } from './near-limit';

/**
 * What one model call (or one refusal) did, on any spend path: recorded once whether it was answered, served from
 * a cache, refused or failed. Every path writes the same shape, so the same metrics cover Converse, embeddings and
 * batch.
 */
export interface SpendRecord {
  readonly application: string;
  readonly environment: string;
  readonly feature: string;
  readonly path: SpendPath;
  /** HTTP-like status: 200 answered; 4xx refused (never charged); 5xx failed. */
  readonly status: number;
  readonly errorCode?: string;
  readonly requestId?: string;
  readonly tenantId?: string;
  readonly userId?: string;
  /** The model id called (with its geography prefix); absent when no model was reached. */
  readonly modelId?: string;
  readonly usage?: Usage;
  /** The exact cost, in USD; 0 for a cache hit or a refusal. */
  readonly costUsd?: number;
  readonly priced?: 'catalog' | 'fallback';
  readonly latencyMs?: number;
  /** Model calls made, retries and fallbacks included. */
  readonly attempts?: number;
  readonly route?: { readonly tier: ModelTier; readonly reasons: ReadonlyArray<string> };
  readonly responseCache?: 'hit' | 'miss' | 'off';
  /** On a response-cache hit: what the original call cost. */
  readonly savedUsd?: number;
  readonly promptCache?: 'read' | 'write' | 'read-write' | 'none';
  readonly embeddingCache?: { readonly hits: number; readonly misses: number };
  /** The input-token upper bound the limit and the reservation used, to compare with what was billed. */
  readonly inputTokenBound?: number;
  /** Guards whose settlement failed after the call was billed (the answer was returned all the same). */
  readonly settleFailures?: number;
  /** The agent run the call was counted on, and the run's parent when the request named one (traces follow runs). */
  readonly runId?: string;
  readonly parentRunId?: string;
  /** The service tier the call was priced in: the one Bedrock reports having served it in. */
  readonly serviceTier?: ServiceTierName;
  /** The output cap the call was sent with (`maxTokens`). */
  readonly maxOutputTokens?: number;
  /**
   * The cost is a bound, not what Bedrock reported: a streamed call that failed mid-way (or whose usage never came)
   * is settled to its reservation's bound, which never under-counts. Reconciliation reads it to tell the two apart.
   */
  readonly estimated?: boolean;
  /** A streamed answer: how the stream ended and how many text deltas reached the client. */
  readonly stream?: { readonly outcome: StreamOutcome; readonly deltasSent: number };
  /** The feature's `nearLimit` policy degraded the answer (or refused a miss, cache only): the `DegradedRequests` metric. */
  readonly degraded?: Degradation;
  /**
   * When the spend happened, epoch ms, if not now: a batch job's records are collected hours after the job ran, and
   * CUR bills the hours it ran, so the record carries the job's end time (EMF accepts up to 14 days in the past).
   */
  readonly timestampMs?: number;
}

/** How a streamed answer ended: whole, whole but the client left before its end, or cut by a failure. */
export type StreamOutcome = 'completed' | 'client-disconnected' | 'failed';

/**
 * The last stage of every spend path: one metric record per model call or refusal. Implementations must never
 * throw into the request path: recording fails open (the answer is returned, the failure is logged).
 */
export interface Recorder {
  record(record: SpendRecord): void;
}

/** Keeps records in memory: for tests and the local demo. */
export class MemoryRecorder implements Recorder {
  public readonly records: SpendRecord[] = [];
  record(record: SpendRecord): void {
    this.records.push(record);
  }
}
