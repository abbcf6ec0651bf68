/**
 * The demo's chat page server, on 127.0.0.1: `GET /` the page, `POST /invoke` one chat turn through the streaming
 * API handler, run as Lambda runs it (lambda-streaming.ts) and piped to the browser as API Gateway's streaming
 * integration would: the prelude's status and headers first, then the payload as the handler writes it. The
 * caller's identity is the one the server was started with, put where an authorizer puts it
 * (`requestContext.authorizer`: `tenantId`, `principalId`); the body can never name a tenant or user. A browser that
 * goes away mid-answer destroys the handler's response stream, as a client disconnect does in Lambda.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invokeStreamingHandler, StreamingHandler, StreamingOutcome } from '../../template/lambda-streaming';
import { CHAT_PAGE_CSP } from './chat-page';
import { invokeProxyEvent } from '../invoke-event';

/** Who the chat's caller is, as the API's authorizer would give it. */
export interface ChatIdentity {
  readonly tenantId: string;
  readonly userId: string;
}

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** The streaming handler (loaded once: one warm container). */
  readonly handler: StreamingHandler;
  readonly identity: ChatIdentity;
  /** The page's HTML. */
  readonly page: string;
  /** The Lambda context of one invocation. */
  readonly context: (requestId: string) => Record<string, unknown>;
  /** @default 0: a free port */
  readonly port?: number;
  /** Called when an invocation ends (after the handler returned: settlement included). */
  readonly onInvocationEnd?: (requestId: string, outcome: StreamingOutcome) => void;
}

/** A running chat server. */
export interface ChatServer {
  readonly url: string;
  /** Resolves once every invocation under way has ended (the handler returned). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

// A chat message and its history fit in far less; a larger body is refused before the handler runs.
const MAX_BODY_BYTES = 256 * 1024;

/** Starts the server on 127.0.0.1. */
export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const running = new Set<Promise<unknown>>();
  const server = createServer((req, res) => {
    route(req, res, options, running).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'INTERNAL', message: String((error as Error)?.message ?? error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, options: ChatServerOptions, running: Set<Promise<unknown>>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CHAT_PAGE_CSP, 'cache-control': 'no-store' });
    res.end(options.page);
    return;
  }
  if (url.pathname === '/invoke' && req.method === 'POST') return invoke(req, res, options, running);
  if (url.pathname === '/invoke' || url.pathname === '/') {
    sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: `${url.pathname} accepts ${url.pathname === '/' ? 'GET' : 'POST'} only.` });
    return;
  }
  sendJson(res, 404, { error: 'NOT_FOUND', message: `no route ${url.pathname}: the page is at /, a chat turn is POST /invoke.` });
}

async function invoke(req: IncomingMessage, res: ServerResponse, options: ChatServerOptions, running: Set<Promise<unknown>>): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) {
    sendJson(res, 413, { error: 'PAYLOAD_TOO_LARGE', message: `the request body is over ${MAX_BODY_BYTES} bytes.` });
    return;
  }
  const requestId = randomUUID();
  const event = proxyEvent(req, body, options.identity, requestId);
  const invocation = invokeStreamingHandler(options.handler, event, options.context(requestId));
  const done = invocation.completion.then((outcome) => {
    options.onInvocationEnd?.(requestId, outcome);
    return outcome;
  });
  running.add(done);
  void done.finally(() => running.delete(done));

  // The browser leaving before the answer's end is a client disconnect: the handler's stream is destroyed.
  res.on('close', () => {
    if (!res.writableFinished) invocation.disconnect();
  });
  const prelude = await invocation.prelude;
  if (res.destroyed) return;
  if (prelude.kind === 'no-prelude') {
    invocation.payload.resume();
    sendJson(res, 502, { error: 'BAD_GATEWAY', message: `the handler's response has no HTTP prelude (${prelude.reason}); API Gateway's streaming integration would answer 502.` });
    return;
  }
  res.writeHead(prelude.head.statusCode, { ...prelude.head.headers, ...(prelude.head.cookies.length > 0 ? { 'set-cookie': [...prelude.head.cookies] } : {}) });
  // The status and headers go out before the first token, and each chunk as soon as it is written.
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  invocation.payload.on('data', (chunk: Buffer) => {
    if (!res.destroyed) res.write(chunk);
  });
  invocation.payload.on('end', () => {
    if (!res.destroyed) res.end();
  });
}

/** An API Gateway REST proxy event for `POST /invoke`, authenticated by an authorizer as the chat's identity. */
function proxyEvent(req: IncomingMessage, body: string, identity: ChatIdentity, requestId: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  return invokeProxyEvent({
    apiId: 'local-chat',
    requestId,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    body,
    context: {
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      // Where a Lambda authorizer's result lands: its principal and its context (the tenant).
      authorizer: { principalId: identity.userId, tenantId: identity.tenantId },
    },
  });
}

/** The request body as text, or undefined when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
