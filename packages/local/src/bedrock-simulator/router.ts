import { randomUUID } from 'node:crypto';
import { converse } from './converse';
import { StreamEnd, writeConverseStream } from './converse-stream';
import { countTokensOperation } from './count-tokens';
import { Delays } from './delays';
import { invokeEmbeddings } from './embeddings';
import { BedrockError, BedrockMessages, validationError } from './errors';
import { EVENT_STREAM_CONTENT_TYPE } from './event-stream';
import { faultError, FaultQueue, StreamFaultQueue } from './faults';
import { resolveBaseModelId } from './models';
import { PromptCache } from './prompt-cache';
import { readRequestMetadataHeader } from './request-metadata';
import { IncomingRequest, OutgoingReply, StreamSink } from './transport';
import { BedrockSimulatorOptions, SimulatedCall, SimulatedOperation, SimulatedUsage } from './types';

// The model id is one path segment; the SDK percent-encodes ':' and '/' inside it, so the raw path is
// split before decoding.
const ROUTE = /^\/model\/([^/?#]+)\/(converse|converse-stream|invoke|count-tokens)(?:\?.*)?$/;
const OPERATIONS: Record<string, SimulatedOperation> = {
  'converse': 'Converse', 'converse-stream': 'ConverseStream', 'invoke': 'InvokeModel', 'count-tokens': 'CountTokens',
};
// Bedrock's x-amzn-errortype carries the shape name followed by a namespace URL; the SDK keeps only what
// precedes the first ':'. Sending the same suffix keeps the simulator honest about that parsing.
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

/** Mutable facts about a call, filled in as it progresses and then recorded. */
interface CallRecord {
  operation: SimulatedOperation;
  modelId: string;
  baseModelId?: string;
  usage?: SimulatedUsage;
  latencyMs: number;
  requestMetadata?: Readonly<Record<string, string>>;
}

interface Success {
  readonly body: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  /** For ConverseStream: writes the answer as an event stream (instead of `body`) and says how it ended. */
  readonly stream?: (sink: StreamSink) => Promise<StreamEnd>;
}

/** Validates a latency value given by a caller. */
export function checkLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`Latency must be a non-negative number of milliseconds, got ${ms}.`);
  return ms;
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw validationError(BedrockMessages.malformedInput);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw validationError(BedrockMessages.malformedInput);
  return parsed as Record<string, unknown>;
}

function decodeModelId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw validationError(BedrockMessages.invalidModel);
  }
}

/**
 * The simulator's state and request dispatch: routing, model resolution, injected faults, simulated
 * latency and the call log. Knows nothing about sockets or HTTP versions.
 */
export class SimulatorRouter {
  /** Queued faults. */
  public readonly faults = new FaultQueue();
  /** Queued faults of CountTokens calls (apart: a count is not a model call). */
  public readonly countTokensFaults = new FaultQueue();
  /** Queued mid-stream faults of ConverseStream calls. */
  public readonly streamFaults = new StreamFaultQueue();
  private readonly cache: PromptCache;
  private readonly delays = new Delays();
  private readonly aliases: Readonly<Record<string, string>>;
  private readonly now: () => number;
  private readonly log: SimulatedCall[] = [];
  private latencyMs: number;
  private deltaDelayMs: number;
  /** Later Converse and ConverseStream calls to answer with no text. */
  private emptyAnswers = 0;
  /** Extra routes served before the runtime ones (the control plane's batch jobs), if any. */
  public extraRoutes?: { owns(request: IncomingRequest): boolean; handle(request: IncomingRequest): Promise<OutgoingReply> };

  /** @param options the simulator options */
  public constructor(options: BedrockSimulatorOptions) {
    this.now = options.now ?? Date.now;
    this.aliases = { ...(options.modelAliases ?? {}) };
    this.latencyMs = checkLatency(options.latencyMs ?? 0);
    this.deltaDelayMs = checkLatency(options.streamDeltaDelayMs ?? 0);
    this.cache = new PromptCache(this.now);
  }

  /** A copy of the call log. */
  public get calls(): ReadonlyArray<SimulatedCall> {
    return [...this.log];
  }

  /** Sets the pause between a later ConverseStream answer's text deltas. */
  public setStreamDeltaDelay(ms: number): void {
    this.deltaDelayMs = checkLatency(ms);
  }

  /** Makes the next `count` Converse and ConverseStream calls answer with no text (an empty completion). */
  public answerEmpty(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}.`);
    this.emptyAnswers += count;
  }

  /** Sets the simulated latency of later model calls. */
  public setLatency(ms: number): void {
    this.latencyMs = checkLatency(ms);
  }

  /** Clears the call log, queued faults and the prompt cache. */
  public reset(): void {
    this.log.length = 0;
    this.faults.clear();
    this.countTokensFaults.clear();
    this.streamFaults.clear();
    this.emptyAnswers = 0;
    this.cache.clear();
  }

  /** Ends every simulated-latency wait, for shutdown. */
  public releaseWaits(): void {
    this.delays.releaseAll();
  }

  /** Answers one request. Never throws: every failure becomes a Bedrock-shaped error reply. */
  public async handle(request: IncomingRequest): Promise<OutgoingReply> {
    if (this.extraRoutes?.owns(request)) return this.extraRoutes.handle(request);
    const at = this.now();
    const requestId = randomUUID();
    const call: CallRecord = { operation: 'Unknown', modelId: '', latencyMs: 0 };
    let reply: OutgoingReply;
    let errorType: string | undefined;
    try {
      const success = await this.dispatch(request, call);
      if (success.stream) return this.streamReply(success.stream, call, requestId, at);
      reply = {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...success.headers },
        body: JSON.stringify(success.body),
      };
    } catch (err) {
      if (err instanceof ConnectionReset) {
        this.log.push({ ...call, status: 0, at, errorType: 'ConnectionReset' });
        return { status: 0, headers: {}, body: '', reset: true };
      }
      const error = err instanceof BedrockError ? err : new BedrockError('InternalServerException', 500, `Simulator failure: ${String(err)}`);
      errorType = error.errorType;
      call.usage = undefined;
      reply = {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': `${error.errorType}${ERROR_TYPE_SUFFIX}` },
        body: JSON.stringify({ message: error.message }),
      };
    }
    this.log.push({ ...call, status: reply.status, at, ...(errorType ? { errorType } : {}) });
    return reply;
  }

  private async dispatch(request: IncomingRequest, call: CallRecord): Promise<Success> {
    const route = request.method === 'POST' ? ROUTE.exec(request.url) : null;
    if (!route) throw new BedrockError('UnknownOperationException', 404, `No Bedrock Runtime operation matches ${request.method} ${request.url}.`);
    call.operation = OPERATIONS[route[2]];
    call.modelId = decodeModelId(route[1]);
    if (request.bodyTooLarge) throw validationError('The request body is too large.');
    // InvokeModel bodies are model-specific and validated by the model handler with its own messages.
    const json = call.operation === 'InvokeModel' ? {} : parseJsonObject(request.body);
    const baseModelId = resolveBaseModelId(call.modelId, this.aliases);
    call.baseModelId = baseModelId;
    if (call.operation === 'InvokeModel') call.requestMetadata = readRequestMetadataHeader(request.requestMetadataHeader);

    if (call.operation === 'CountTokens') {
      const fault = this.countTokensFaults.take();
      if (fault === 'connection-reset') throw new ConnectionReset();
      if (fault) throw faultError(fault);
      const { inputTokens } = countTokensOperation(baseModelId, json);
      call.usage = { inputTokens, outputTokens: 0, totalTokens: inputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
      return { body: { inputTokens } };
    }

    const latencyMs = this.latencyMs;
    // Faults are taken once a request has reached a model (routed, parsed, model resolved) but before the
    // model validates it: throttling and outages happen in front of the model, not after a bad request.
    const fault = this.faults.take();
    if (fault === 'connection-reset') {
      // The model runs and the call is billed; the answer never reaches the client.
      if (call.operation !== 'InvokeModel') ({ usage: call.usage, requestMetadata: call.requestMetadata } = converse({ baseModelId, cache: this.cache, latencyMs }, json));
      else call.usage = usageOfEmbeddings(invokeEmbeddings(baseModelId, request.body).inputTokens);
      await this.simulateLatency(call, latencyMs);
      throw new ConnectionReset();
    }
    if (fault) {
      // A timeout happens after the model has been working; the other faults are returned up front.
      if (fault === 'model-timeout') await this.simulateLatency(call, latencyMs);
      throw faultError(fault);
    }

    if (call.operation === 'Converse' || call.operation === 'ConverseStream') {
      const emptyAnswer = this.emptyAnswers > 0;
      if (emptyAnswer) this.emptyAnswers--;
      const outcome = converse({ baseModelId, cache: this.cache, latencyMs, emptyAnswer }, json);
      call.usage = outcome.usage;
      call.requestMetadata = outcome.requestMetadata;
      // ConverseStream's latency is the time to its first event; Converse's the time to its whole answer.
      await this.simulateLatency(call, latencyMs);
      if (call.operation === 'Converse') return { body: outcome.body };
      const streamFault = this.streamFaults.take();
      const deltaDelayMs = this.deltaDelayMs;
      const pace = deltaDelayMs > 0 ? () => this.delays.wait(deltaDelayMs) : undefined;
      return { body: outcome.body, stream: (sink) => writeConverseStream(sink, outcome.body, outcome.usage, streamFault, pace) };
    }

    const outcome = invokeEmbeddings(baseModelId, request.body);
    call.usage = usageOfEmbeddings(outcome.inputTokens);
    await this.simulateLatency(call, latencyMs);
    return {
      body: outcome.body,
      headers: { 'x-amzn-bedrock-input-token-count': String(outcome.inputTokens), 'x-amzn-bedrock-invocation-latency': String(latencyMs) },
    };
  }

  /** A 200 answered as an event stream; the call is recorded once the stream has ended, with what it sent and billed. */
  private streamReply(write: (sink: StreamSink) => Promise<StreamEnd>, call: CallRecord, requestId: string, at: number): OutgoingReply {
    return {
      status: 200,
      headers: { 'content-type': EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': requestId },
      body: '',
      stream: async (sink) => {
        const ended = await write(sink);
        this.log.push({ ...call, usage: ended.usage, stream: ended.stream, status: 200, at, ...(ended.errorType ? { errorType: ended.errorType } : {}) });
      },
    };
  }

  private async simulateLatency(call: CallRecord, ms: number): Promise<void> {
    call.latencyMs = ms;
    await this.delays.wait(ms);
  }
}

/** Thrown inside the router when an injected `connection-reset` drops the connection after the model ran. */
class ConnectionReset extends Error {}

function usageOfEmbeddings(inputTokens: number): SimulatedUsage {
  return { inputTokens, outputTokens: 0, totalTokens: inputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 };
}
