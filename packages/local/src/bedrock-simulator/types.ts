/** Options for {@link startBedrockSimulator}. */
export interface BedrockSimulatorOptions {
  /** TCP port to listen on. Default 0 (any free port). The host is always 127.0.0.1. */
  readonly port?: number;
  /** Simulated model latency per model call in milliseconds. Default 0. */
  readonly latencyMs?: number;
  /** Pause between the text deltas of a ConverseStream answer, in milliseconds (a model's pace). Default 0. */
  readonly streamDeltaDelayMs?: number;
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

/**
 * The failures {@link BedrockSimulator.injectStreamFaults} can queue, each striking a ConverseStream answer after a
 * given number of text deltas: `throttle`, `model-stream-error`, `server-error` and `service-unavailable` send an
 * exception event in the stream (the SDK raises ThrottlingException, ModelStreamErrorException,
 * InternalServerException, ServiceUnavailableException from the stream's iterator); `connection-drop` cuts the
 * connection; `stall` stops sending (the stream stays open) until the client gives up and leaves.
 */
export type StreamFaultKind = 'throttle' | 'model-stream-error' | 'server-error' | 'service-unavailable' | 'connection-drop' | 'stall';

/** The Bedrock Runtime operation a recorded call was routed to. */
export type SimulatedOperation = 'Converse' | 'ConverseStream' | 'InvokeModel' | 'CountTokens' | 'Unknown';

/** How a ConverseStream answer went, for comparing what was metered with what was billed. */
export interface SimulatedStream {
  /**
   * `completed`: every event was sent, the metadata event last; `exception`: an exception event ended it;
   * `dropped`: the simulator cut the connection (`connection-drop`); `client-disconnected`: the client left first.
   */
  readonly outcome: 'completed' | 'exception' | 'dropped' | 'client-disconnected';
  /** Text deltas written to the client. */
  readonly deltasSent: number;
  /** The text those deltas carried. */
  readonly textSent: string;
  /** Whether the client was sent the usage (the metadata event); otherwise the call's usage was billed but never reported. */
  readonly usageReported: boolean;
}

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
  /**
   * Usage reported to the client, for successful Converse, ConverseStream, InvokeModel and CountTokens calls; billed
   * but never reported for a `connection-reset` and for a stream that ended early (its input, cache reads and writes,
   * and the output tokens sent before the end: Bedrock bills the tokens a model generated).
   */
  readonly usage?: SimulatedUsage;
  /** For ConverseStream calls that began streaming: how the stream ended and what it sent. */
  readonly stream?: SimulatedStream;
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
  /**
   * Makes the next `count` model calls (Converse, ConverseStream, InvokeModel) fail with `kind`, in FIFO order after
   * faults already queued. A ConverseStream call answers these up front, with an HTTP error, as Converse does.
   */
  injectFaults(kind: FaultKind, count: number): void;
  /**
   * Makes the next `count` ConverseStream calls that took no fault from {@link injectFaults} fail with `kind` after
   * `afterDeltas` text deltas (0: right after `messageStart`; at or past the answer's last delta: before
   * `contentBlockStop`). Converse and InvokeModel calls never take these.
   */
  injectStreamFaults(kind: StreamFaultKind, count: number, afterDeltas: number): void;
  /**
   * Makes the next `count` CountTokens calls fail with `kind` (`throttle`, `server-error`, `service-unavailable`),
   * apart from the model calls' faults: counting is free and is not a model call, so it never takes theirs.
   */
  injectCountTokensFaults(kind: FaultKind, count: number): void;
  /** Changes the simulated latency of subsequent model calls. */
  setLatency(ms: number): void;
  /**
   * Makes the next `count` Converse and ConverseStream calls answer with no text: an empty completion (`end_turn`,
   * no output tokens; a stream with no text delta), as a model may give.
   */
  answerEmpty(count: number): void;
  /** Changes the pause between the text deltas of subsequent ConverseStream answers. */
  setStreamDeltaDelay(ms: number): void;
  /** Clears recorded calls, queued faults and the prompt cache. */
  reset(): void;
  /** Stops listening and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}
