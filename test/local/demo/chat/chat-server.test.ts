import { request } from 'node:http';
import { ChatServer, startChatServer } from '../../../../packages/local/src/demo/chat/chat-server';
import { AWS_LAMBDA_GLOBAL as awslambda, StreamingOutcome } from '../../../../packages/local/src/template/lambda-streaming';

// The chat page's server with a small streaming handler in place of the API's: the HTTP side of the emulation.
// (test/local/demo/chat/chat-page.test.ts runs the real streaming API handler in the browser.)

const IDENTITY = { tenantId: 'acme-corp', userId: 'agent-7' };
let server: ChatServer;
let events: Array<Record<string, any>>;
let outcomes: StreamingOutcome[];
let seenByHandler: string[];
let gate: { release: () => void; wait: Promise<void> };

function newGate() {
  let release!: () => void;
  const wait = new Promise<void>((resolve) => { release = resolve; });
  return { release, wait };
}

const handler = awslambda.streamifyResponse(async (event: any, responseStream) => {
  events.push(event);
  const body = JSON.parse(event.body);
  if (body.message === 'refuse') {
    const refusal = awslambda.HttpResponseStream.from(responseStream, { statusCode: 429, headers: { 'content-type': 'application/json', 'retry-after': '7' } });
    refusal.write('{"error":"LIMIT_EXCEEDED"}');
    refusal.end();
    return;
  }
  responseStream.on('close', () => seenByHandler.push(responseStream.writableFinished ? 'finish' : 'close before finish'));
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/event-stream', 'x-genai-request-id': 'r-1' } });
  stream.write('event: delta\ndata: {"text":"first"}\n\n');
  await gate.wait;
  stream.write('event: delta\ndata: {"text":" last"}\n\n');
  stream.end();
});

beforeAll(async () => {
  server = await startChatServer({
    handler, identity: IDENTITY, page: '<!doctype html><title>chat</title>', context: (id) => ({ awsRequestId: id }),
    onInvocationEnd: (_id, outcome) => outcomes.push(outcome),
  });
});

afterAll(async () => {
  gate?.release();
  await server?.close();
});

beforeEach(() => {
  events = [];
  outcomes = [];
  seenByHandler = [];
  gate = newGate();
});

test('serves the page on 127.0.0.1 with a policy that allows requests to its own origin only', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const response = await fetch(server.url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
  expect(await response.text()).toContain('<title>chat</title>');
});

test('streams: the status and headers come before the last event, which arrives once the handler writes it', async () => {
  // When a chat turn is posted
  const response = await fetch(new URL('invoke', server.url), { method: 'POST', headers: { accept: 'text/event-stream' }, body: JSON.stringify({ message: 'hi' }) });

  // Then the status and headers are there while the handler still holds its last event, and so is the first event
  expect(response.status).toBe(200);
  expect(response.headers.get('x-genai-request-id')).toBe('r-1');
  const reader = response.body!.getReader();
  const first = Buffer.from((await reader.read()).value!).toString();
  expect(first).toContain('"first"');
  expect(first).not.toContain('last');
  gate.release();
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
  expect(rest).toContain('" last"');
  await server.idle();
  expect(outcomes).toEqual([{ stream: 'finished' }]);
});

test('the identity is the authorizer\'s, never the body\'s', async () => {
  await (await fetch(new URL('invoke', server.url), { method: 'POST', body: JSON.stringify({ message: 'refuse', tenantId: 'someone-else', userId: 'mallory' }) })).text();
  expect(events[0].requestContext.authorizer).toEqual({ principalId: 'agent-7', tenantId: 'acme-corp' });
  expect(events[0].httpMethod).toBe('POST');
  expect(events[0].path).toBe('/invoke');
});

test('a refusal keeps its status, headers and JSON body', async () => {
  const response = await fetch(new URL('invoke', server.url), { method: 'POST', body: JSON.stringify({ message: 'refuse' }) });
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe('7');
  expect(await response.json()).toEqual({ error: 'LIMIT_EXCEEDED' });
});

test('a client that goes away mid-answer destroys the handler\'s response stream', async () => {
  // Given a turn whose first event has arrived
  await new Promise<void>((resolve, reject) => {
    const req = request(new URL('invoke', server.url), { method: 'POST', headers: { accept: 'text/event-stream' } }, (res) => {
      res.once('data', () => {
        // When the client disconnects
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ message: 'hi' }));
    setTimeout(() => reject(new Error('no first event')), 20_000).unref();
  });
  await new Promise<void>((resolve) => {
    const check = () => (seenByHandler.length > 0 ? resolve() : setTimeout(check, 5));
    check();
  });
  gate.release();
  await server.idle();

  // Then the handler saw its stream close before it finished, and the invocation ended with it destroyed
  expect(seenByHandler).toEqual(['close before finish']);
  expect(outcomes).toEqual([{ stream: 'destroyed' }]);
});

test('answers 404 for other paths, 405 for other methods and 413 for a body over the limit', async () => {
  expect((await fetch(new URL('nope', server.url))).status).toBe(404);
  expect((await fetch(new URL('invoke', server.url))).status).toBe(405);
  const big = await fetch(new URL('invoke', server.url), { method: 'POST', body: 'x'.repeat(300 * 1024) });
  expect(big.status).toBe(413);
  expect(events).toEqual([]);
});
