/**
 * Posting to the incoming webhook. The URL is a secret (anyone holding a Slack or Teams webhook URL can post to the
 * channel), so nothing here puts it, or a message derived from it, in a log or an error: failures say what happened
 * (status, timeout, network error code), never where.
 */

/** Why a webhook URL is refused; its text never contains the URL. */
export class WebhookUrlError extends Error {}

/** A failed post; its message never contains the URL. */
export class WebhookPostError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

// Loopback is not empty in Lambda: the Runtime API (AWS_LAMBDA_RUNTIME_API, 127.0.0.1:9001) and extensions listen
// there. A webhook secret pointing at it would have the notifier POST alert JSON to them, so plain HTTP to loopback
// is refused unless `allowLoopbackHttp` is set: a local/test setting (the local runs' receiver on 127.0.0.1) that
// the AlertDelivery construct never writes.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** How {@link webhookUrlOf} checks the URL. */
export interface WebhookUrlOptions {
  /** Accept `http://` to 127.0.0.1, localhost or [::1] (local runs and tests only). @default false */
  readonly allowLoopbackHttp?: boolean;
}

/** The webhook URL from the secret's value (the URL itself, or JSON `{"url": "..."}`), checked: HTTPS only. */
export function webhookUrlOf(secretValue: string, options: WebhookUrlOptions = {}): URL {
  let text = secretValue.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text);
      text = typeof parsed.url === 'string' ? parsed.url.trim() : '';
    } catch {
      throw new WebhookUrlError('the webhook secret is JSON that does not parse. Fix: store the URL itself, or {"url": "https://..."}.');
    }
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlError('the webhook secret is not a URL. Fix: store the incoming webhook URL (https://...) as the secret\'s value.');
  }
  const loopbackHttp = options.allowLoopbackHttp === true && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new WebhookUrlError(`the webhook secret is a ${url.protocol.replace(':', '')} URL. Fix: use the webhook's https:// URL; alerts are not sent in clear text.`);
  }
  if (url.username || url.password) {
    throw new WebhookUrlError('the webhook secret\'s URL carries a user name or password. Fix: use the URL Slack, Teams or the endpoint gives, without credentials.');
  }
  return url;
}

/**
 * POSTs the JSON body; resolves on a 2xx answer. Throws {@link WebhookPostError} on any other answer, a timeout or
 * a network error: the caller leaves the message on the queue to be retried (5xx, 429 and timeouts pass; a 4xx such
 * as a revoked webhook does not, and ends in the dead-letter queue, whose alarm says so).
 */
export async function postToWebhook(url: URL, body: unknown, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new WebhookPostError(`the webhook did not answer within ${timeoutMs} ms`);
    throw new WebhookPostError(`the webhook could not be reached (${e.cause?.code ?? e.name ?? 'network error'})`);
  }
  // Read (and drop) the body, so that the connection can be reused.
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new WebhookPostError(`the webhook answered ${response.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`, response.status);
  }
}
