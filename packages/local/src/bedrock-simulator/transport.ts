import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';

const HOST = '127.0.0.1';
// Requests larger than this are answered with an error instead of being buffered without bound.
const MAX_BODY_BYTES = 32 * 1024 * 1024;
// Every HTTP/2 connection made with prior knowledge (h2c, which the SDK's NodeHttp2Handler uses for
// http:// endpoints) starts with this preface; HTTP/1.1 connections never do.
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** A fully read HTTP request, independent of the HTTP version it arrived with. */
export interface IncomingRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Raw path and query exactly as sent (still percent-encoded). */
  readonly url: string;
  /** The body; empty when it exceeded the size limit. */
  readonly body: Buffer;
  /** Whether the body exceeded the size limit and was discarded. */
  readonly bodyTooLarge: boolean;
  /** InvokeModel's `X-Amzn-Bedrock-Request-Metadata` header (a JSON object of strings), when sent. */
  readonly requestMetadataHeader?: string;
}

/** A complete response to write back. */
export interface OutgoingReply {
  /** HTTP status. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body. */
  readonly body: string;
  /** Drop the connection instead of answering (a network failure after the request was sent). */
  readonly reset?: boolean;
  /**
   * Answer with a streamed body instead of `body`: the status and headers go out first, then whatever the function
   * writes to the sink, then the end of the response (unless it dropped the connection or the client left).
   */
  readonly stream?: (sink: StreamSink) => Promise<void>;
}

/** Where a streamed reply writes its body, and how it learns that the client went away. */
export interface StreamSink {
  /** Whether the client has disconnected (or the connection was dropped). */
  readonly disconnected: boolean;
  /** Resolves when the response closes: the client left, the connection dropped, or (after the end) it finished. */
  readonly gone: Promise<void>;
  /** Writes one chunk, waiting until it is handed to the socket; false once the client has gone. */
  write(chunk: Uint8Array): Promise<boolean>;
  /** Drops the connection midway, as a network failure does. */
  drop(): void;
}

/** Produces the reply to a request. Should not throw; a throw is answered with a bare 500. */
export type RequestHandler = (request: IncomingRequest) => Promise<OutgoingReply>;

/** A listening socket serving a {@link RequestHandler}. */
export interface Listener {
  /** The port actually bound. */
  readonly port: number;
  /** Drops all connections and stops listening. */
  close(): Promise<void>;
}

// The parts of http.ServerResponse and http2.Http2ServerResponse this module uses; both satisfy it.
interface ResponseSink {
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers: http.OutgoingHttpHeaders): unknown;
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): unknown;
  end(body: string): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
}

type RequestSource = http.IncomingMessage | http2.Http2ServerRequest;

function readRequest(req: RequestSource): Promise<IncomingRequest | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({
        method: req.method ?? 'GET', url: req.url ?? '/', body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), bodyTooLarge: tooLarge,
        ...(typeof req.headers['x-amzn-bedrock-request-metadata'] === 'string' ? { requestMetadataHeader: req.headers['x-amzn-bedrock-request-metadata'] } : {}),
      }),
    );
    // The client went away mid-request: there is nobody to answer.
    req.on('error', () => resolve(undefined));
    req.on('aborted', () => resolve(undefined));
  });
}

function send(res: ResponseSink, reply: OutgoingReply): void {
  if (res.writableEnded) return;
  try {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  } catch {
    // The connection closed while the reply was being prepared (e.g. during simulated latency).
  }
}

/**
 * Drops a request without an answer: HTTP/2 resets its stream (RST_STREAM, as a proxy cutting one request does; the
 * session's other requests go on), HTTP/1.1 closes the TCP connection.
 */
function reset(req: RequestSource): void {
  if ('stream' in req) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

/** Whether, and when, the client left before the response finished. Watched from the request's arrival. */
interface Departure {
  readonly left: boolean;
  readonly gone: Promise<void>;
}

function watchDeparture(res: ResponseSink): Departure {
  let left = false;
  const gone = new Promise<void>((resolve) => {
    res.once('close', () => {
      // 'close' also follows a normal end; only a close before the body finished is a departure.
      if (!res.writableFinished) left = true;
      resolve();
    });
  });
  return {
    get left() {
      return left;
    },
    gone,
  };
}

/** Sends a streamed reply: headers at once, then the body as the reply's function writes it. */
async function sendStream(req: RequestSource, res: ResponseSink, departure: Departure, reply: OutgoingReply, write: (sink: StreamSink) => Promise<void>): Promise<void> {
  let dropped = false;
  let failed = false;
  const sink: StreamSink = {
    get disconnected() {
      return dropped || failed || departure.left;
    },
    gone: departure.gone,
    write: async (chunk) => {
      if (sink.disconnected || res.writableEnded) return false;
      // Waiting for each chunk to be handed to the socket paces the writer to the reader, and means a drop that
      // follows cuts the stream after what was written, not before it left the process.
      try {
        await Promise.race([new Promise<void>((resolve) => res.write(chunk, (error) => {
          if (error) failed = true;
          resolve();
        })), departure.gone]);
      } catch {
        failed = true;
      }
      return !sink.disconnected;
    },
    drop: () => {
      dropped = true;
      reset(req);
    },
  };
  if (!sink.disconnected) {
    try {
      res.writeHead(reply.status, { ...reply.headers });
    } catch {
      failed = true;
    }
  }
  await write(sink);
  if (!sink.disconnected && !res.writableEnded) res.end();
}

const FALLBACK_REPLY: OutgoingReply = {
  status: 500,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerException' },
  body: JSON.stringify({ message: 'Unexpected simulator failure.' }),
};

/**
 * Listens on 127.0.0.1 and serves both HTTP/1.1 and cleartext HTTP/2 on the same port. Both are needed:
 * the Bedrock Runtime client defaults to NodeHttp2Handler (h2c with prior knowledge on http://
 * endpoints), while curl, fetch and clients configured with NodeHttpHandler speak HTTP/1.1.
 */
export function listen(port: number, handler: RequestHandler): Promise<Listener> {
  const serve = (req: RequestSource, res: ResponseSink): void => {
    const departure = watchDeparture(res);
    void readRequest(req)
      .then(async (request) => {
        if (!request) return;
        const reply = await handler(request);
        if (reply.reset) reset(req);
        else if (reply.stream) await sendStream(req, res, departure, reply, reply.stream);
        else send(res, reply);
      })
      .catch(() => send(res, FALLBACK_REPLY));
  };
  const http1 = http.createServer(serve);
  const h2c = http2.createServer(serve);
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Without a listener a reset connection would raise an uncaught 'error' and take the process down.
    socket.on('error', () => socket.destroy());

    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const couldBeHttp2 = HTTP2_PREFACE.subarray(0, Math.min(head.length, HTTP2_PREFACE.length)).equals(head.subarray(0, HTTP2_PREFACE.length));
      if (couldBeHttp2 && head.length < HTTP2_PREFACE.length) return;
      socket.removeListener('data', sniff);
      socket.pause();
      // Hand the bytes already read back to the socket so the protocol server sees the whole stream.
      socket.unshift(head);
      if (couldBeHttp2) {
        h2c.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', sniff);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.removeListener('error', reject);
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
