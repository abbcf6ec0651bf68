/** Options for {@link startBedrockSimulator}. */
export interface BedrockSimulatorOptions {
  /** TCP port to listen on. Default 0 (any free port). The host is always 127.0.0.1. */
  readonly port?: number;
  /** Simulated model latency per model call in milliseconds. Default 0. */
  readonly latencyMs?: number;
  /**
   * Model identifiers (typically application-inference-profile ARNs) mapped to the model they stand for,
   * e.g. `{ 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc': 'anthropic.claude-3-haiku-20240307-v1:0' }`.
   */
  readonly modelAliases?: Record<string, string>;
  /** Clock in epoch milliseconds for prompt-cache TTLs and call timestamps. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The failures {@link BedrockSimulator.injectFaults} can queue. `connection-reset`: the model runs and bills the call
 * (its usage is in the call log), then the connection is dropped instead of answered, as a network failure after the
 * request was sent looks to the client (no HTTP status).
 */
export type FaultKind = 'throttle' | 'server-error' | 'service-unavailable' | 'model-timeout' | 'context-length' | 'connection-reset';

/** The Bedrock Runtime operation a recorded call was routed to. */
export type SimulatedOperation = 'Converse' | 'InvokeModel' | 'CountTokens' | 'Unknown';

/** Token usage of one call, as the simulator reported it to the client. */
export interface SimulatedUsage {
  /** Input tokens billed at the normal rate (excludes cache reads and writes, as Bedrock reports it). */
  readonly inputTokens: number;
  /** Generated tokens. */
  readonly outputTokens: number;
  /** inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens. */
  readonly totalTokens: number;
  /** Input tokens served from the prompt cache. */
  readonly cacheReadInputTokens: number;
  /** Input tokens written to the prompt cache. */
  readonly cacheWriteInputTokens: number;
}

/** One request the simulator answered. */
export interface SimulatedCall {
  /** The operation the request was routed to. */
  readonly operation: SimulatedOperation;
  /** The model identifier exactly as the client sent it (URL-decoded); empty when the route had none. */
  readonly modelId: string;
  /** The base model id the identifier resolved to, when it resolved. */
  readonly baseModelId?: string;
  /** HTTP status returned; 0 when the connection was dropped instead (the `connection-reset` fault). */
  readonly status: number;
  /** The `x-amzn-errortype` returned, for failed calls. */
  readonly errorType?: string;
  /** Usage reported to the client, for successful Converse, InvokeModel and CountTokens calls; billed but never reported for a `connection-reset`. */
  readonly usage?: SimulatedUsage;
  /** Simulated latency the call waited before answering, in milliseconds. */
  readonly latencyMs: number;
  /** The call's request metadata (Converse's `requestMetadata`, InvokeModel's header), as Bedrock logs it. */
  readonly requestMetadata?: Readonly<Record<string, string>>;
  /** Clock time (from the `now` option) when the request arrived. */
  readonly at: number;
}

/** A running Bedrock Runtime simulator. */
export interface BedrockSimulator {
  /** Base URL to pass as the SDK client's `endpoint`, e.g. `http://127.0.0.1:53123`. */
  readonly endpoint: string;
  /** A snapshot of every call answered so far, oldest first. */
  readonly calls: ReadonlyArray<SimulatedCall>;
  /** Makes the next `count` model calls (Converse, InvokeModel) fail with `kind`, in FIFO order after faults already queued. */
  injectFaults(kind: FaultKind, count: number): void;
  /**
   * Makes the next `count` CountTokens calls fail with `kind` (`throttle`, `server-error`, `service-unavailable`),
   * apart from the model calls' faults: counting is free and is not a model call, so it never takes theirs.
   */
  injectCountTokensFaults(kind: FaultKind, count: number): void;
  /** Changes the simulated latency of subsequent model calls. */
  setLatency(ms: number): void;
  /** Clears recorded calls, queued faults and the prompt cache. */
  reset(): void;
  /** Stops listening and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}
