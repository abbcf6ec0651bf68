import { WebhookUrlError, webhookUrlOf } from '../../../lambda/notifier/webhook';

describe('the webhook URL read from the secret', () => {
  test('is taken as the whole value or from {"url": ...}', () => {
    expect(webhookUrlOf('  https://hooks.slack.com/services/T1/B2/abc \n').href).toBe('https://hooks.slack.com/services/T1/B2/abc');
    expect(webhookUrlOf('{"url": "https://example.webhook.office.com/webhookb2/x"}').hostname).toBe('example.webhook.office.com');
  });

  test.each([
    ['plain http', 'http://hooks.example.com/services/T1/B2/abc', /is a http URL\. Fix: use the webhook's https:\/\/ URL/],
    ['another scheme', 'ftp://hooks.example.com/x', /is a ftp URL/],
    ['credentials in the URL', 'https://user:s3cr3t@hooks.example.com/x', /carries a user name or password/],
    ['not a URL', 'paste the webhook here', /is not a URL/],
    ['JSON that does not parse', '{"url": ', /JSON that does not parse/],
  ])('refuses %s, without repeating the value', (_name, value, message) => {
    let error: unknown;
    try {
      webhookUrlOf(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebhookUrlError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hooks.example.com');
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  test('allows plain http to the loopback address only under the local setting', () => {
    expect(webhookUrlOf('http://127.0.0.1:8080/hook', { allowLoopbackHttp: true }).port).toBe('8080');
    expect(() => webhookUrlOf('http://127.0.0.2:8080/hook', { allowLoopbackHttp: true })).toThrow(WebhookUrlError);
  });

  test.each(['http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', 'http://localhost:8080/hook', 'http://[::1]:8080/hook'])(
    'refuses plain http to loopback by default (in Lambda the Runtime API and extensions listen there): %s', (value) => {
      expect(() => webhookUrlOf(value)).toThrow(/is a http URL\. Fix: use the webhook's https:\/\/ URL/);
    });
});
