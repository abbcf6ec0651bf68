import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the webhook receiver got. */
export interface ReceivedPost {
  readonly path: string;
  readonly contentType?: string;
  readonly body: any;
}

/** How the receiver answers the next request: a status, or `hang` (never answers: a timeout). */
export type WebhookAnswer = number | 'hang';

/** An incoming-webhook receiver on 127.0.0.1: records every post; answers 200 unless told otherwise. */
export interface WebhookReceiver {
  readonly url: (path: string) => string;
  readonly posts: ReceivedPost[];
  /** Answers for the next requests, in order; then 200 again. */
  answerNext(...answers: WebhookAnswer[]): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const answers: WebhookAnswer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') return; // the socket is closed by the client's timeout, or by stop()
      const text = Buffer.concat(chunks).toString('utf8');
      if (answer >= 200 && answer < 300) posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) });
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'ok' : 'invalid_payload');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    posts,
    answerNext: (...next) => answers.push(...next),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * CloudWatch's `GetMetricWidgetImage` and Secrets Manager's `GetSecretValue` on 127.0.0.1, in their wire protocols
 * (AWS JSON 1.0 and 1.1, chosen by `X-Amz-Target`), so that the notifier runs its real SDK clients against them.
 */
export interface LocalAwsJson {
  readonly endpoint: string;
  /** Each MetricWidget JSON the notifier asked to draw. */
  readonly widgets: any[];
  stop(): Promise<void>;
}

export async function startLocalAwsJson(options: {
  readonly secrets: Record<string, string>;
  readonly drawWidget: (widget: any) => Promise<Buffer>;
}): Promise<LocalAwsJson> {
  const widgets: any[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (target.endsWith('.GetMetricWidgetImage')) {
          const widget = JSON.parse(input.MetricWidget);
          widgets.push(widget);
          const png = await options.drawWidget(widget);
          return send(res, 'application/x-amz-json-1.0', { MetricWidgetImage: png.toString('base64') });
        }
        if (target === 'secretsmanager.GetSecretValue') {
          const value = options.secrets[input.SecretId];
          if (value === undefined) return send(res, 'application/x-amz-json-1.1', { __type: 'ResourceNotFoundException', message: 'Secrets Manager can\'t find the specified secret.' }, 400);
          return send(res, 'application/x-amz-json-1.1', { ARN: input.SecretId, Name: 'webhook', SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1795000000 });
        }
        send(res, 'application/x-amz-json-1.1', { __type: 'UnknownOperationException' }, 400);
      })().catch((error) => send(res, 'application/json', { __type: 'InternalFailure', message: String(error) }, 500));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    widgets,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(res: http.ServerResponse, contentType: string, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(body));
}
