/**
 * Lambda's response streaming, emulated for local runs (local invoke, the demo's chat page, tests): the `awslambda`
 * global Lambda's Node.js runtime provides (`streamifyResponse`, `HttpResponseStream.from`), a response stream that
 * is a Node Writable, the invocation as the runtime drives it, and a decoder for what API Gateway's streaming
 * integration reads: a JSON prelude, 8 NUL bytes, then the payload as written.
 *
 * Written from Lambda's and API Gateway's docs and the behaviour of the runtime interface client
 * (aws/aws-lambda-nodejs-runtime-interface-client, src/stream, src/runtime/streaming-invoke-processor.ts):
 * - https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html (streamifyResponse, ending the stream)
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html#response-transfer-mode-lambda-format
 * The runtime's own module is not on npm as a library one could load here, hence this emulation.
 */
import { PassThrough, Readable, Writable } from 'node:stream';

/** The content type `HttpResponseStream.from` sets: API Gateway then reads a prelude before the payload. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** The runtime's default content type of a response stream. */
export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
/** The delimiter between the JSON prelude and the payload: 8 NUL bytes (JSON.stringify never writes a NUL). */
export const PRELUDE_DELIMITER: Buffer = Buffer.alloc(8);

// The runtime marks a streamified handler with these registered symbols (and reads the mark to choose the path).
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

/** What `HttpResponseStream.from` takes: API Gateway's metadata of the response. */
export interface ResponseMetadata {
  readonly statusCode?: number;
  readonly headers?: Record<string, string>;
  readonly multiValueHeaders?: Record<string, ReadonlyArray<string>>;
  readonly cookies?: ReadonlyArray<string>;
}

/** A streaming handler as the runtime calls it. */
export type StreamingHandler = (event: unknown, responseStream: LambdaResponseStream, context: Record<string, unknown>) => unknown;

/**
 * The stream a streaming handler writes to. As in Lambda: `setContentType` only before the first write; a chunk that
 * is neither a string nor bytes is written as JSON; the hook `HttpResponseStream.from` installs runs on the first
 * `write()` call (not on `end(chunk)`, which in Lambda also bypasses it: a handler that only calls `end(body)` sends
 * no prelude). Destroying it is how a client's disconnect shows: 'close' without 'finish'.
 */
export class LambdaResponseStream extends Writable {
  /** The bytes the runtime sends on, in order (the prelude included). */
  readonly output = new PassThrough();
  /** Installed by `HttpResponseStream.from`; called with a raw write before the first chunk. */
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  private contentTypeValue = DEFAULT_STREAM_CONTENT_TYPE;
  private writeCalled = false;

  constructor(options: { highWaterMark?: number } = {}) {
    super({ highWaterMark: options.highWaterMark, decodeStrings: true });
    // A disconnect ends the bytes' reader too (what was sent stays readable).
    this.once('close', () => {
      if (!this.writableFinished) this.output.end();
    });
  }

  /** The content type the runtime sends the stream with. */
  get contentType(): string {
    return this.contentTypeValue;
  }

  setContentType(contentType: string): void {
    if (this.writeCalled) throw new Error('Cannot set content-type, too late.');
    this.contentTypeValue = String(contentType);
  }

  override write(chunk: unknown, encoding?: BufferEncoding | ((error: Error | null | undefined) => void), callback?: (error: Error | null | undefined) => void): boolean {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!this.writeCalled && typeof this._onBeforeFirstWrite === 'function' && !this.destroyed) {
      this._onBeforeFirstWrite((raw) => super.write(raw));
    }
    this.writeCalled = true;
    return typeof encoding === 'function' ? super.write(data, encoding) : super.write(data, encoding as BufferEncoding, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.output.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.output.end();
    callback();
  }
}

/** `awslambda.HttpResponseStream`: the prelude API Gateway's streaming integration reads. */
export class HttpResponseStream {
  static from(stream: LambdaResponseStream, metadata: ResponseMetadata): LambdaResponseStream {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const prelude = JSON.stringify(metadata);
    stream._onBeforeFirstWrite = (write) => {
      write(prelude);
      write(PRELUDE_DELIMITER);
    };
    return stream;
  }
}

/** The `awslambda` global. */
export interface AwsLambdaGlobal {
  readonly HttpResponseStream: typeof HttpResponseStream;
  streamifyResponse<T extends StreamingHandler>(handler: T, options?: { highWaterMark?: number }): T;
}

/** The emulation's `awslambda`. */
export const AWS_LAMBDA_GLOBAL: AwsLambdaGlobal = {
  streamifyResponse(handler, options) {
    const marked = handler as unknown as Record<symbol, unknown>;
    marked[HANDLER_STREAMING] = STREAM_RESPONSE;
    if (typeof options?.highWaterMark === 'number') marked[HANDLER_HIGH_WATER_MARK] = Math.trunc(options.highWaterMark);
    return handler;
  },
  HttpResponseStream,
};

/**
 * Puts `awslambda` on the global object, as the runtime does before it loads the handler's module (a module calls
 * `awslambda.streamifyResponse` at load). What is there already stays: the AWS SDK's invoke store creates an empty
 * `awslambda` when it loads (and keeps its InvokeStore on it), and the runtime, too, spreads the existing object
 * before adding its own; a `streamifyResponse` already there (a test's own) is kept.
 */
export function installAwsLambdaGlobal(): void {
  // (Typed apart from @types/aws-lambda's ambient declaration, which describes the same object.)
  const global = globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> & Record<string, unknown> };
  const existing = global.awslambda;
  if (existing && typeof existing.streamifyResponse === 'function') return;
  global.awslambda = Object.assign(existing ?? {}, AWS_LAMBDA_GLOBAL);
}

/** Whether the runtime would call `handler` as a streaming handler. */
export function isStreamingHandler(handler: unknown): handler is StreamingHandler {
  return typeof handler === 'function' && (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === STREAM_RESPONSE;
}

/** The status, headers and cookies of a streamed HTTP response, as API Gateway reads them from the prelude. */
export interface StreamedResponseHead {
  readonly statusCode: number;
  /** Header names in lower case; multi-value headers joined with ', '. */
  readonly headers: Record<string, string>;
  readonly cookies: ReadonlyArray<string>;
}

/** What came out of the stream before the payload. */
export type PreludeResult =
  | { readonly kind: 'prelude'; readonly head: StreamedResponseHead }
  /** The stream was not written through `HttpResponseStream.from`, or its prelude is not valid JSON metadata. */
  | { readonly kind: 'no-prelude'; readonly reason: string };

/**
 * Splits a response stream's bytes (`LambdaResponseStream.output`) into the prelude and the payload, as API Gateway's
 * streaming integration does: nothing of the payload is released before the delimiter.
 */
export class PreludeDecoder {
  /** The payload, released as it arrives once the prelude is read. */
  readonly payload = new PassThrough();
  readonly prelude: Promise<PreludeResult>;
  private resolvePrelude!: (result: PreludeResult) => void;
  private pending: Buffer[] = [];
  private decided = false;

  constructor(source: Readable, contentType: () => string) {
    this.prelude = new Promise((resolve) => { this.resolvePrelude = resolve; });
    source.on('data', (chunk: Buffer) => this.push(chunk, contentType()));
    source.on('end', () => this.finish());
    source.on('close', () => this.finish());
  }

  private push(chunk: Buffer, contentType: string): void {
    if (this.decided) {
      this.payload.write(chunk);
      return;
    }
    if (contentType !== HTTP_INTEGRATION_CONTENT_TYPE) {
      this.decide({ kind: 'no-prelude', reason: `the response stream's content type is '${contentType}', not ${HTTP_INTEGRATION_CONTENT_TYPE} (the handler did not call awslambda.HttpResponseStream.from before its first write())` });
      this.payload.write(chunk);
      return;
    }
    this.pending.push(chunk);
    const buffered = Buffer.concat(this.pending);
    const end = buffered.indexOf(0);
    if (end < 0 || buffered.length < end + PRELUDE_DELIMITER.length) return;
    if (!buffered.subarray(end, end + PRELUDE_DELIMITER.length).equals(PRELUDE_DELIMITER)) {
      this.decide({ kind: 'no-prelude', reason: 'the prelude is not followed by 8 NUL bytes' });
      this.payload.write(buffered);
      return;
    }
    const rest = buffered.subarray(end + PRELUDE_DELIMITER.length);
    this.decide(parsePrelude(buffered.subarray(0, end).toString('utf8')));
    if (rest.length > 0) this.payload.write(rest);
  }

  private decide(result: PreludeResult): void {
    this.decided = true;
    this.pending = [];
    this.resolvePrelude(result);
  }

  private finish(): void {
    if (this.payload.writableEnded) return;
    if (!this.decided) {
      const left = Buffer.concat(this.pending);
      this.decide({ kind: 'no-prelude', reason: left.length === 0 ? 'the handler wrote nothing' : 'the stream ended before the prelude\'s delimiter' });
      if (left.length > 0) this.payload.write(left);
    }
    this.payload.end();
  }
}

function parsePrelude(text: string): PreludeResult {
  let metadata: ResponseMetadata;
  try {
    metadata = JSON.parse(text) as ResponseMetadata;
  } catch {
    return { kind: 'no-prelude', reason: `the prelude is not JSON: ${text.slice(0, 80)}` };
  }
  if (!metadata || typeof metadata !== 'object') return { kind: 'no-prelude', reason: 'the prelude is not a JSON object' };
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(metadata.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.join(', ');
  for (const [name, value] of Object.entries(metadata.headers ?? {})) headers[name.toLowerCase()] = String(value);
  return { kind: 'prelude', head: { statusCode: metadata.statusCode ?? 200, headers, cookies: [...(metadata.cookies ?? [])] } };
}

/** How an invocation of a streaming handler ended. */
export interface StreamingOutcome {
  /** The handler's failure, or the runtime's (a handler that is not async, a stream left open). */
  readonly error?: Error;
  /** 'finished': the handler ended the stream; 'destroyed': it was destroyed first (a disconnect, or the handler). */
  readonly stream: 'finished' | 'destroyed' | 'open';
}

/** A running invocation of a streaming handler. */
export interface StreamingInvocation {
  /** The stream the handler writes to. */
  readonly responseStream: LambdaResponseStream;
  /** The prelude, once its delimiter is written (or once it is known there is none). */
  readonly prelude: Promise<PreludeResult>;
  /** The payload, as the handler writes it. */
  readonly payload: Readable;
  /** Resolves when the invocation ends: when the handler's promise settles (it may run on after the stream ends). */
  readonly completion: Promise<StreamingOutcome>;
  /** The client goes away: the handler's response stream is destroyed ('close' before 'finish'). */
  disconnect(): void;
}

/**
 * Invokes a streaming handler as Lambda's runtime does: `handler(event, responseStream, context)`; the handler must
 * return a promise (the runtime refuses others); the invocation ends when it settles, and a handler that resolves
 * without ending its stream fails ("Response stream is not finished": Lambda waits for the end until the timeout;
 * locally it fails at once). A rejected handler ends the stream where it is, as the runtime's error trailer does.
 */
export function invokeStreamingHandler(handler: StreamingHandler, event: unknown, context: Record<string, unknown>): StreamingInvocation {
  const highWaterMark = (handler as unknown as Record<symbol, unknown>)[HANDLER_HIGH_WATER_MARK];
  const responseStream = new LambdaResponseStream({ highWaterMark: typeof highWaterMark === 'number' ? highWaterMark : undefined });
  // A write after a disconnect fails its callback; the runtime's stream reports no 'error' for it either.
  responseStream.on('error', () => undefined);
  const decoder = new PreludeDecoder(responseStream.output, () => responseStream.contentType);
  const state = (): StreamingOutcome['stream'] => (responseStream.writableFinished ? 'finished' : responseStream.destroyed ? 'destroyed' : 'open');
  const completion = (async (): Promise<StreamingOutcome> => {
    // The runtime calls the handler once the stream is set up; a turn later here, so readers can attach first.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const result = handler(event, responseStream, context);
      if (!result || typeof (result as Promise<unknown>).then !== 'function') throw new Error('Streaming does not support non-async handlers.');
      await result;
    } catch (error) {
      responseStream.end();
      return { error: error instanceof Error ? error : new Error(String(error)), stream: state() };
    }
    // The handler may have called end() just before returning: let the stream finish.
    if (responseStream.writableEnded && !responseStream.writableFinished && !responseStream.destroyed) {
      await new Promise<void>((resolve) => responseStream.once('close', resolve).once('finish', resolve));
    }
    if (state() === 'open') {
      responseStream.destroy();
      return { error: new Error('Response stream is not finished.'), stream: 'open' };
    }
    return { stream: state() };
  })();
  return {
    responseStream,
    prelude: decoder.prelude,
    payload: decoder.payload,
    disconnect: () => responseStream.destroy(),
    completion,
  };
}
