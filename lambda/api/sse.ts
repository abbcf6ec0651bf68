import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Writable } from 'node:stream';
import type { AnswerHead, AnswerSink } from '../pipeline/answer';
import { degradedHeaders, limitHeaders } from './http';

/** Whether the caller asked for server-sent events (`Accept: text/event-stream`). */
export function wantsEventStream(event: APIGatewayProxyEvent | undefined): boolean {
  const accept = Object.entries(event?.headers ?? {}).find(([name]) => name.toLowerCase() === 'accept')?.[1];
  return typeof accept === 'string' && /(^|,)\s*text\/event-stream\b/i.test(accept);
}

/**
 * Lambda's response stream, written the way API Gateway's streaming integration reads it: the status and headers
 * first (`awslambda.HttpResponseStream.from`: a JSON prelude and 8 NUL bytes, sent with the first write), then the
 * body. It tells when the client left ('close' or 'error' before the handler ended the stream): nothing is written
 * after that. Writes wait for the stream to drain, so a slow client slows the model stream's read, not memory, but
 * never past the request's deadline less the time kept to settle (`waitUntilMs`): then the client is taken as gone.
 */
export class ResponseWriter {
  private stream?: Writable;
  private ended = false;
  private left = false;

  /**
   * @param waitUntilMs when waiting for the client stops (epoch ms): a client that has not taken a write or the end
   * by then is taken as gone, so a slow reader cannot hold the function to its timeout; the time after it is left to
   * finish the model stream, settle and record. Without it, waits are unbounded (no deadline is known).
   */
  constructor(private readonly responseStream: Writable, private readonly waitUntilMs?: number, private readonly now: () => number = Date.now) {
    const leave = () => {
      if (!this.ended) this.left = true;
    };
    responseStream.once('close', leave);
    responseStream.on('error', leave);
  }

  /** Whether the client went away before the response ended. */
  get clientGone(): boolean {
    return this.left || this.responseStream.destroyed && !this.ended;
  }

  /** Whether the status and headers were handed over. */
  get opened(): boolean {
    return this.stream !== undefined;
  }

  open(statusCode: number, headers: Record<string, string>): void {
    if (this.stream) throw new Error('the response was already opened');
    this.stream = awslambda.HttpResponseStream.from(this.responseStream, { statusCode, headers });
  }

  async write(text: string): Promise<void> {
    const stream = this.stream;
    if (!stream || this.clientGone) return;
    if (stream.write(text)) return;
    if (!await this.waitFor(stream, 'drain')) this.left = true;
  }

  /** A whole buffered answer: status, headers, body, end (`write` then `end`: an `end(body)` would skip the prelude). */
  async whole(result: APIGatewayProxyResult): Promise<void> {
    this.open(result.statusCode, (result.headers ?? {}) as Record<string, string>);
    await this.write(result.body);
    await this.end();
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const stream = this.stream ?? this.responseStream;
    if (this.left || stream.destroyed) return;
    const ending = this.waitFor(stream, 'finish');
    stream.end();
    if (!await ending) this.left = true;
  }

  // Waits for `event` (or 'close') until `waitUntilMs`: true when it came in time.
  private waitFor(stream: Writable, event: 'drain' | 'finish'): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const settle = (inTime: boolean) => {
        clearTimeout(timer);
        stream.off(event, onEvent).off('close', onEvent);
        resolve(inTime);
      };
      const onEvent = () => settle(true);
      const timer = this.waitUntilMs === undefined ? undefined : setTimeout(() => settle(false), Math.max(0, this.waitUntilMs - this.now()));
      stream.once(event, onEvent).once('close', onEvent);
    });
  }
}

/**
 * The answer as server-sent events: `start` with the status and headers before the first token, `delta` per piece
 * of text, then `done` (or `error`), and `settled` once the ledger settled. Each event is one `event:`/`data:` pair
 * of JSON. https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export class EventStreamSink implements AnswerSink {
  constructor(private readonly writer: ResponseWriter, private readonly requestId: string, private readonly cors: Record<string, string>) {}

  get started(): boolean {
    return this.writer.opened;
  }

  get clientGone(): boolean {
    return this.writer.clientGone;
  }

  async start(head: AnswerHead): Promise<void> {
    this.writer.open(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-genai-request-id': head.requestId,
      ...this.cors,
      ...limitHeaders(head.limits),
      ...degradedHeaders(head.degraded),
    });
    await this.event('start', { requestId: head.requestId, model: head.model, cache: head.cache });
  }

  delta(text: string): Promise<void> {
    return this.event('delta', { text });
  }

  done(data: Record<string, unknown>): Promise<void> {
    return this.event('done', data);
  }

  /** A failure after the first byte: the status was sent, so the events say it. */
  error(code: string, message: string): Promise<void> {
    return this.event('error', { error: code, message, requestId: this.requestId });
  }

  settled(data: Record<string, unknown>): Promise<void> {
    return this.event('settled', data);
  }

  private event(name: string, data: unknown): Promise<void> {
    return this.writer.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
