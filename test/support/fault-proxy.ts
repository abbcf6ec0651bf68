import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the proxy received it. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * What to do with one request: pass it on after `delayMs` (it reaches the service late, even when the client has
 * given up on it by then: a write that lands after the client's timeout), pass it on at once and answer only after
 * `delayResponseMs` (it lands, but the client may have given up on knowing), or answer `fail` without passing it on.
 */
export type FaultRule = (request: ProxiedRequest) => { readonly delayMs?: number; readonly delayResponseMs?: number } | { readonly fail: { readonly status: number; readonly body: string; readonly headers?: Record<string, string> } } | undefined;

/** A running loopback proxy in front of a local service. */
export interface FaultProxy {
  readonly endpoint: string;
  /** The rule for later requests (none: every request passes at once). */
  rule: FaultRule | undefined;
  /** Resolves once every request received so far has been passed on and answered (late writes included). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a local service (DynamoDB Local, the local S3) that delays or fails requests by
 * a rule: slowness and failures the real SDK meets over a real socket, with the service itself unchanged.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const pending = new Set<Promise<void>>();
  const proxy: FaultProxy = {
    endpoint: '',
    rule: undefined,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const done = handle(req, res).catch(() => undefined);
    pending.add(done);
    void done.finally(() => pending.delete(done));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const request: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: body.toString('utf8') };
    const decision = proxy.rule?.(request);
    if (decision && 'fail' in decision) {
      res.writeHead(decision.fail.status, { 'content-type': 'application/json', ...decision.fail.headers });
      res.end(decision.fail.body);
      return;
    }
    if (decision?.delayMs) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    // Passed on whether or not the client still waits: the service applies it all the same.
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const out = http.request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
        headers: { ...req.headers, 'host': upstream.host, 'content-length': String(body.length) },
      }, (reply) => {
        const parts: Buffer[] = [];
        reply.on('data', (part: Buffer) => parts.push(part));
        reply.on('end', () => resolve({ status: reply.statusCode ?? 502, headers: reply.headers, body: Buffer.concat(parts) }));
        reply.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
    if (decision?.delayResponseMs) await new Promise((resolve) => setTimeout(resolve, decision.delayResponseMs));
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** The DynamoDB operation of a request (`UpdateItem`, `TransactWriteItems`, ...), from its `x-amz-target`. */
export function dynamoDbOperation(request: ProxiedRequest): string {
  return String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
}
