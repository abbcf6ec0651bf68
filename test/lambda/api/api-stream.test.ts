// The streaming API handler as Lambda's runtime drives it (the companion's emulation of `awslambda`, installed before
// the handler's module loads), with the real SDK over loopback: ConverseStream from the Bedrock simulator, the usage
// ledger and the response cache in DynamoDB Local.
import { installAwsLambdaGlobal, invokeStreamingHandler, isStreamingHandler, LambdaResponseStream, StreamingHandler, StreamedResponseHead } from '../../../packages/local/src/template/lambda-streaming';
installAwsLambdaGlobal();
import * as path from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { GuardsConfig } from '../../../shared/contract';
import { usdToAtto } from '../../../shared/core';
import { handler as bufferedHandler } from '../../../lambda/api/handler';
import { containerPipeline } from '../../../lambda/composition/pipeline-runtime';
import { emfRecords, usd } from '../pipeline/support';
import { event, withEmf } from '../../support/handler-env';
import { useApiHarness } from '../../support/api-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';
import { startWindowClock } from '../../support/window-clock';
// Required after installAwsLambdaGlobal(): the module calls awslambda.streamifyResponse when it loads.
const { handler: streamHandler } = require('../../../lambda/api/stream-handler') as typeof import('../../../lambda/api/stream-handler');

// Claude Haiku 4.5 through a US profile (the default route): $1.10 in / $5.50 out per 1M tokens.
const CACHE_TABLE = 'stream-api-response-cache';
const LEDGER_TABLE = 'stream-api-usage-ledger';
const LONG_QUESTION = 'Explain step by step how to migrate my account, move my invoices, and keep my saved payment methods.';

const h = useApiHarness({ cacheTables: [CACHE_TABLE], ledgerTables: [LEDGER_TABLE] });
let requestCounter = 0;

function useLedger(usageLimits: GuardsConfig['usageLimits']): void {
  h.useConfig({
    responseCacheTable: CACHE_TABLE, retry: { maxAttempts: 2, attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 1 },
    // About streaming, not the ledger's timeout: the deployed 1.5 s can pass on a slow DynamoDB Local on loaded CI.
    guards: { store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS, usageLimits },
  });
}

beforeEach(() => useLedger([{ scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 100_000 }]));
// The limits' windows on a clock whose hour does not end during a test (a request limit of 1 an hour is tested).
beforeEach(() => { startWindowClock(); });
afterEach(() => jest.restoreAllMocks());

function apiEvent(body: unknown, accept = 'text/event-stream'): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return {
    ...base, body: JSON.stringify(body), headers: { ...base.headers, Accept: accept },
    requestContext: { ...base.requestContext, requestId: `stream-${String(requestCounter).padStart(8, '0')}` },
  };
}

interface ServerSentEvent {
  readonly event: string;
  readonly data: any;
}

interface StreamedCall {
  readonly head: StreamedResponseHead;
  readonly body: string;
  readonly events: ServerSentEvent[];
  /** The bytes Lambda sent, as API Gateway receives them: the prelude, 8 NUL bytes, the payload. */
  readonly raw: Buffer;
  readonly emf: Array<Record<string, any>>;
  /** The EMF records written by the time the response stream finished (its end reached the client). */
  readonly emfAtEnd: Array<Record<string, any>>;
}

// The EMF lines written so far, while `withEmf` captures stdout (its spy on process.stdout.write).
function emfSoFar(): Array<Record<string, any>> {
  const calls = (process.stdout.write as unknown as jest.Mock).mock?.calls ?? [];
  return emfRecords(calls.map(([chunk]) => String(chunk)).join('').split('\n').filter((line: string) => line.trim() !== ''));
}

function parseEvents(body: string): ServerSentEvent[] {
  return body.split('\n\n').filter((block) => block.trim() !== '').map((block) => {
    const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return { event: name, data: data === undefined ? undefined : JSON.parse(data) };
  });
}

/**
 * Invokes the streaming handler and reads its response as API Gateway does. `leaveAfterDeltas`: the client goes away
 * once it has read that many `delta` events.
 */
async function invokeStream(e: APIGatewayProxyEvent, leaveAfterDeltas?: number, remainingMs = 30_000, handler: unknown = streamHandler): Promise<StreamedCall> {
  let head: StreamedResponseHead | undefined;
  const raw: Buffer[] = [];
  let body = '';
  let emfAtEnd: Array<Record<string, any>> = [];
  const { emf } = await withEmf(async () => {
    const invocation = invokeStreamingHandler(handler as StreamingHandler, e, { getRemainingTimeInMillis: () => remainingMs });
    invocation.responseStream.once('finish', () => { emfAtEnd = emfSoFar(); });
    invocation.responseStream.output.on('data', (chunk: Buffer) => raw.push(chunk));
    void invocation.prelude.then((p) => {
      if (p.kind === 'prelude') head = p.head;
    });
    invocation.payload.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
      if (leaveAfterDeltas !== undefined && parseEvents(body).filter((ev) => ev.event === 'delta').length >= leaveAfterDeltas) invocation.disconnect();
    });
    const outcome = await invocation.completion;
    if (outcome.error) throw outcome.error;
    await invocation.prelude;
  });
  if (!head) throw new Error(`the handler sent no prelude; body: ${body}`);
  return { head, body, events: parseEvents(body), raw: Buffer.concat(raw), emf, emfAtEnd };
}

/** Waits until the simulator has recorded the tenant's stream as left by its client (bounded only to catch a hang). */
async function stalledCallRecorded(tenantId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!h.sim.calls.some((c) => c.requestMetadata?.tenantId === tenantId && c.stream?.outcome === 'client-disconnected')) {
    if (Date.now() > deadline) throw new Error(`the simulator did not see the client leave ${tenantId}'s stream within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function ledgerOf(tenant: string): Promise<{ requests: number; tokens: number; costAtto: bigint }> {
  const { Items = [] } = await h.ddb.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  const mine = Items.filter((i) => i.pk.S!.startsWith('user#') && i.pk.S!.includes(encodeURIComponent(tenant)));
  return {
    requests: mine.reduce((s, i) => s + Number(i.requests?.N ?? 0), 0),
    tokens: mine.reduce((s, i) => s + Number(i.tokens?.N ?? 0), 0),
    costAtto: mine.reduce((s, i) => s + BigInt(i.costAtto?.N ?? '0'), 0n),
  };
}

// Per 1M tokens through a US profile (the global list price plus 10 %): Haiku 4.5 $1.10 / $5.50, Sonnet 4.5 $3.30 /
// $16.50, Opus 4.5 $5.50 / $27.50. The question's complexity decides the model.
const US_PRICES: ReadonlyArray<[RegExp, number, number]> = [[/haiku-4-5/, 1.1, 5.5], [/sonnet-4-5/, 3.3, 16.5], [/opus-4-5/, 5.5, 27.5]];

function pricedUsd(usage: { inputTokens: number; outputTokens: number }, modelId: string): number {
  const [, input, output] = US_PRICES.find(([model]) => model.test(modelId)) ?? [undefined, NaN, NaN];
  return usd(usage.inputTokens, input) + usd(usage.outputTokens, output);
}

const streamCall = () => h.sim.calls.find((c) => c.operation === 'ConverseStream')!;

const converseRecords = (emf: Array<Record<string, any>>) => emf.filter((r) => r.path === 'converse');

describe('streaming API handler (server-sent events) with the real SDK, DynamoDB Local and the Bedrock simulator', () => {
  test('sends the status and headers before the first token, then start, deltas, done and settled, priced as billed', async () => {
    const call = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId: 'tenant-sse', userId: 'u1' }));

    // API Gateway reads the status and headers from the prelude, which precedes the first token
    const preludeEnd = call.raw.indexOf(Buffer.alloc(8));
    expect(JSON.parse(call.raw.subarray(0, preludeEnd).toString('utf8')).headers['x-genai-request-id']).toBe(`stream-${String(requestCounter).padStart(8, '0')}`);
    expect(preludeEnd).toBeLessThan(call.raw.indexOf('event: delta'));
    expect(call.head.statusCode).toBe(200);
    expect(call.head.headers).toMatchObject({
      'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-genai-request-id': `stream-${String(requestCounter).padStart(8, '0')}`,
      'x-ratelimit-limit': expect.any(String), 'x-ratelimit-remaining': expect.any(String), 'x-ratelimit-policy': expect.stringMatching(/^user;w=hour;m=/),
    });
    const names = call.events.map((ev) => ev.event);
    expect(names[0]).toBe('start');
    expect(names.slice(-2)).toEqual(['done', 'settled']);
    expect(names.slice(1, -2).every((n) => n === 'delta')).toBe(true);
    expect(names.length).toBeGreaterThan(4);
    const [start] = call.events;
    expect(start.data).toEqual({ requestId: call.head.headers['x-genai-request-id'], model: { id: `us.${streamCall().baseModelId}`, tier: expect.any(String) }, cache: 'miss' });

    // The text is what the simulator streamed; the usage, what it billed; the cost, that usage at the list price
    const sim = streamCall();
    const text = call.events.filter((ev) => ev.event === 'delta').map((ev) => ev.data.text).join('');
    expect(text).toBe(sim.stream!.textSent);
    const done = call.events.at(-2)!.data;
    const settled = call.events.at(-1)!.data;
    expect(done).toMatchObject({ stopReason: expect.stringMatching(/^(end_turn|max_tokens)$/), estimated: false, serviceTier: 'standard' });
    expect(done.usage).toEqual({ inputTokens: sim.usage!.inputTokens, outputTokens: sim.usage!.outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(done.cost.totalUsd).toBeCloseTo(pricedUsd(sim.usage!, sim.baseModelId!), 12);
    expect(settled).toMatchObject({ costUsd: done.cost.totalUsd, estimated: false, limits: { scope: 'user', window: 'hour' } });

    // And the ledger was charged exactly that, once
    const ledger = await ledgerOf('tenant-sse');
    expect(ledger).toEqual({ requests: 1, tokens: sim.usage!.inputTokens + sim.usage!.outputTokens, costAtto: usdToAtto(done.cost.totalUsd) });
    const records = converseRecords(call.emf);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ streamOutcome: 'completed', streamDeltasSent: names.length - 3 });
    expect(records[0]).not.toHaveProperty('estimated');
  });

  test('a streamed answer is cached; the same question then streams the same text from the cache at $0', async () => {
    const request = { message: 'What are your support hours on public holidays?', tenantId: 'tenant-sse-cache', userId: 'u1' };
    const first = await invokeStream(apiEvent(request));
    const second = await invokeStream(apiEvent(request));

    expect(h.sim.calls.filter((c) => c.operation === 'ConverseStream')).toHaveLength(1);
    const textOf = (call: StreamedCall) => call.events.filter((ev) => ev.event === 'delta').map((ev) => ev.data.text).join('');
    expect(textOf(second)).toBe(textOf(first));
    expect(second.events[0].data.cache).toBe('hit');
    expect(second.events.map((ev) => ev.event)).toEqual(['start', 'delta', 'done', 'settled']);
    expect(second.events[2].data.cost.totalUsd).toBe(0);
    expect(second.events[3].data).toMatchObject({ costUsd: 0, estimated: false });
    // The hit counted as a request and charged nothing more
    const firstCost = first.events.at(-1)!.data.costUsd;
    expect(await ledgerOf('tenant-sse-cache')).toMatchObject({ requests: 2, costAtto: usdToAtto(firstCost) });
  });

  test('a client that leaves midway: the model stream is read to its end, settled once at the true usage, and cached', async () => {
    const request = { message: LONG_QUESTION, tenantId: 'tenant-leaves', userId: 'u1' };
    const call = await invokeStream(apiEvent(request), 2);

    // The client read the start and two deltas; the simulator streamed the whole answer and reported its usage
    expect(call.events.filter((ev) => ev.event === 'delta')).toHaveLength(2);
    expect(call.events.map((ev) => ev.event)).not.toContain('done');
    const sim = streamCall();
    expect(sim.stream).toMatchObject({ outcome: 'completed', usageReported: true });
    expect(sim.stream!.deltasSent).toBeGreaterThan(2);

    // Settled once, to what Bedrock reported (not the bound), recorded as a disconnect
    const ledger = await ledgerOf('tenant-leaves');
    expect(ledger.tokens).toBe(sim.usage!.inputTokens + sim.usage!.outputTokens);
    expect(ledger.costAtto).toBe(usdToAtto(pricedUsd(sim.usage!, sim.baseModelId!)));
    const records = converseRecords(call.emf);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ streamOutcome: 'client-disconnected', streamDeltasSent: 2 });
    expect(records[0]).not.toHaveProperty('estimated');

    // And the whole answer was cached: asked again, nothing is called
    const again = await invokeStream(apiEvent(request));
    expect(again.events[0].data.cache).toBe('hit');
    expect(again.events[1].data.text).toBe(sim.stream!.textSent);
    expect(h.sim.calls.filter((c) => c.operation === 'ConverseStream')).toHaveLength(1);
  });

  test.each(['model-stream-error', 'throttle', 'connection-drop'] as const)(
    'a %s after two deltas: an error event, then one settlement at the bound, marked estimated; nothing cached',
    async (kind) => {
      const tenantId = `tenant-fault-${kind}`;
      h.sim.injectStreamFaults(kind, 1, 2);

      const call = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId, userId: 'u1' }));

      expect(call.head.statusCode).toBe(200);
      expect(call.events.map((ev) => ev.event)).toEqual(['start', 'delta', 'delta', 'error', 'settled']);
      const error = call.events[3].data;
      expect(error).toMatchObject({ error: expect.stringMatching(/^MODEL_/), requestId: call.head.headers['x-genai-request-id'] });
      const settled = call.events[4].data;
      expect(settled.estimated).toBe(true);
      // The bound never under-counts what Bedrock billed for the cut stream
      const sim = streamCall();
      expect(settled.costUsd).toBeGreaterThan(pricedUsd(sim.usage!, sim.baseModelId!));
      const ledger = await ledgerOf(tenantId);
      expect(ledger.requests).toBe(1);
      expect(ledger.costAtto).toBe(usdToAtto(settled.costUsd));
      expect(ledger.tokens).toBeGreaterThan(sim.usage!.inputTokens + sim.usage!.outputTokens);
      const records = converseRecords(call.emf);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ estimated: true, streamOutcome: 'failed', streamDeltasSent: 2, errorCode: error.error });
      // Nothing was cached: the same question calls the model again
      const again = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId, userId: 'u1' }));
      expect(again.events[0].data.cache).toBe('miss');
    },
  );

  test('a model stream that fails before its first delta answers an ordinary error, settled at the bound', async () => {
    h.sim.injectStreamFaults('model-stream-error', 1, 0);

    const call = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId: 'tenant-fault-early', userId: 'u1' }));

    expect(call.head.statusCode).toBe(502);
    expect(call.head.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toMatchObject({ error: 'MODEL_STREAM_ERROR' });
    const sim = streamCall();
    const ledger = await ledgerOf('tenant-fault-early');
    expect(ledger.requests).toBe(1);
    expect(ledger.tokens).toBeGreaterThan(sim.usage!.inputTokens);
    expect(converseRecords(call.emf)).toEqual([expect.objectContaining({ status: '502', errorCode: 'MODEL_STREAM_ERROR', estimated: true })]);
  });

  test('a model stream that stalls is cut at the function\'s deadline and settled at the bound, after an error event', async () => {
    h.sim.injectStreamFaults('stall', 1, 1);
    // 3.5 s left: the call gets what remains after the 2 s kept to settle and answer
    const call = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId: 'tenant-stall', userId: 'u1' }), undefined, 3_500);

    expect(call.events.map((ev) => ev.event)).toEqual(['start', 'delta', 'error', 'settled']);
    expect(call.events[2].data.error).toBe('MODEL_DEADLINE_EXCEEDED');
    expect(call.events[3].data.estimated).toBe(true);
    expect((await ledgerOf('tenant-stall')).costAtto).toBe(usdToAtto(call.events[3].data.costUsd));
    // The function let go of the model stream: the simulator sees the client leave (and records the call then, which on
    // a loaded machine can come after the test's end and land in the next test's call log: waited for here).
    await stalledCallRecorded('iam:tenant-stall');
  });

  test('a refusal before the first byte (the user\'s request limit) is a plain 429 JSON with Retry-After', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxRequests: 1 }]);
    await invokeStream(apiEvent({ message: 'first question', tenantId: 'tenant-refused', userId: 'u1' }));

    const refused = await invokeStream(apiEvent({ message: 'second question', tenantId: 'tenant-refused', userId: 'u1' }));

    expect(refused.head.statusCode).toBe(429);
    expect(refused.head.headers).toMatchObject({ 'content-type': 'application/json', 'retry-after': expect.any(String), 'x-ratelimit-remaining': '0' });
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED' });
    expect(h.sim.calls.filter((c) => c.operation === 'ConverseStream' && c.requestMetadata?.tenantId === 'iam:tenant-refused')).toHaveLength(1);
  });

  test('a run\'s remaining budget is in the headers before the first token, and its exhausted budget is a plain 429', async () => {
    useLedger([{ scope: 'run', window: 'month', maxRequests: 1, maxCostUsd: 5 }]);
    const ask = () => invokeStream(apiEvent({ message: 'Summarise ticket 4711 for me.', tenantId: 'tenant-run', userId: 'u1', runId: 'task-1' }));

    const first = await ask();
    const second = await ask();

    expect(first.head.headers).toMatchObject({ 'x-genai-run-id': 'task-1', 'x-genai-run-remaining-requests': '0', 'x-genai-run-remaining-usd': expect.any(String) });
    expect(first.events[0].event).toBe('start');
    // After the settlement the run's dollars left grow by what the bound over-reserved
    const settledRun = first.events.at(-1)!.data.limits.run;
    expect(settledRun.costUsd).toBeGreaterThan(Number(first.head.headers['x-genai-run-remaining-usd']));
    expect(second.head.statusCode).toBe(429);
    expect(JSON.parse(second.body)).toMatchObject({ error: 'USAGE_LIMIT_EXCEEDED', details: { scope: 'run', runId: 'task-1' } });
  });

  test('without Accept: text/event-stream it answers the buffered API\'s JSON body and headers', async () => {
    const message = 'How do I download last month\'s invoice?';
    const streamed = await invokeStream(apiEvent({ message, tenantId: 'tenant-json-a', userId: 'u1' }, 'application/json'));
    const { result: buffered } = await withEmf(() => bufferedHandler(apiEvent({ message, tenantId: 'tenant-json-b', userId: 'u1' }, 'application/json')));

    expect(streamed.head.statusCode).toBe(buffered.statusCode);
    const strip = (body: any) => ({ ...body, requestId: undefined, latencyMs: undefined, limits: { ...body.limits, resetsAt: undefined } });
    expect(strip(JSON.parse(streamed.body))).toEqual(strip(JSON.parse(buffered.body)));
    expect(Object.keys(streamed.head.headers).sort()).toEqual(Object.keys(buffered.headers!).map((k) => k.toLowerCase()).sort());
    // Both were settled: the ledger holds each one's billed cost
    expect((await ledgerOf('tenant-json-a')).costAtto).toBe((await ledgerOf('tenant-json-b')).costAtto);
  });

  test('finishing an answer twice settles, caches and records it once', async () => {
    const sink = { started: 0, clientGone: false, start() { this.started++; }, delta() { /* read */ } };
    const { result: answer, emf } = await withEmf(async () => {
      const a = await containerPipeline().handleAnswer({ message: LONG_QUESTION, tenantId: 'tenant-twice', userId: 'u1' }, { requestId: 'twice-1', tenantSource: 'iam', userPrincipal: 'AROAEXAMPLE' }, {}, sink);
      const first = await a.finish();
      const again = await a.finish();
      return { a, first, again };
    });
    const ledger = await ledgerOf('tenant-twice');

    expect(sink.started).toBe(1);
    expect(answer.again).toBe(answer.first);
    expect(ledger.requests).toBe(1);
    expect(ledger.costAtto).toBe(usdToAtto(answer.first.costUsd));
    expect(converseRecords(emf)).toHaveLength(1);
  });

  test('the bundle that deploys (assets/handlers/api-stream) is a streaming handler that writes API Gateway\'s prelude', async () => {
    // (Only what needs no AWS call: under jest's VM the bundled SDK cannot load its credential providers, which it
    // imports dynamically; the source handler above runs the same code.)
    let bundled: unknown;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      bundled = (require(path.join(__dirname, '..', '..', '..', 'assets', 'handlers', 'api-stream', 'index.js')) as { handler: unknown }).handler;
    });
    expect(isStreamingHandler(bundled)).toBe(true);

    const call = await invokeStream({ ...apiEvent({ message: 'hello' }), resource: '/nowhere', path: '/nowhere' }, undefined, 30_000, bundled);

    expect(call.head).toMatchObject({ statusCode: 404, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(call.body)).toMatchObject({ error: 'NOT_FOUND', requestId: `stream-${String(requestCounter).padStart(8, '0')}` });
  });
});

// A client that stops reading: nothing it was sent is taken, so every write past the first byte waits for a drain.
class ClientThatStopsReading extends LambdaResponseStream {
  constructor() {
    super({ highWaterMark: 1 });
    this.on('error', () => undefined);
  }

  override _write(_chunk: Buffer, _encoding: BufferEncoding, _callback: (error?: Error | null) => void): void {
    // never taken
  }
}

describe('streaming API handler: empty answers, exact limits, slow clients, failures and the order of the end', () => {
  test('an answer with no text still sends the status, headers and start, then done and settled', async () => {
    h.sim.answerEmpty(1);
    const call = await invokeStream(apiEvent({ message: 'Say nothing at all.', tenantId: 'tenant-empty', userId: 'u1' }));

    expect(call.head.statusCode).toBe(200);
    expect(call.head.headers).toMatchObject({ 'content-type': 'text/event-stream', 'x-genai-request-id': `stream-${String(requestCounter).padStart(8, '0')}`, 'x-ratelimit-remaining': expect.any(String) });
    expect(call.events.map((ev) => ev.event)).toEqual(['start', 'done', 'settled']);
    expect(streamCall().stream).toMatchObject({ outcome: 'completed', deltasSent: 0, usageReported: true });
    const [, done, settled] = call.events.map((ev) => ev.data);
    expect(done).toMatchObject({ stopReason: 'end_turn', usage: { outputTokens: 0 }, estimated: false });
    expect(settled).toMatchObject({ costUsd: done.cost.totalUsd, estimated: false });
    expect((await ledgerOf('tenant-empty')).costAtto).toBe(usdToAtto(settled.costUsd));
    expect(converseRecords(call.emf)).toEqual([expect.objectContaining({ streamOutcome: 'completed', streamDeltasSent: 0 })]);
  });

  test('a cache hit\'s settled limits count nothing of the early reservation it gave back', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxTokens: 100_000 }]);
    const request = { message: 'Where do I change my billing address?', tenantId: 'tenant-hit-limits', userId: 'u1' };
    await invokeStream(apiEvent(request));

    const hit = await invokeStream(apiEvent(request));

    expect(hit.events[0].data.cache).toBe('hit');
    const ledger = await ledgerOf('tenant-hit-limits');
    const settled = hit.events.at(-1)!.data;
    expect(settled.limits).toMatchObject({ scope: 'user', measure: 'tokens', remaining: 100_000 - ledger.tokens });
    // The headers went out while the whole bound was still reserved
    expect(Number(hit.head.headers['x-ratelimit-remaining'])).toBeLessThan(settled.limits.remaining);
  });

  test('the dollars left after the settlement are the ledger\'s exact figure; only the headers round them', async () => {
    useLedger([{ scope: 'user', window: 'hour', maxCostUsd: 0.5 }]);
    const call = await invokeStream(apiEvent({ message: LONG_QUESTION, tenantId: 'tenant-exact-usd', userId: 'u1' }));

    const settled = call.events.at(-1)!.data;
    const ledger = await ledgerOf('tenant-exact-usd');
    expect(settled.limits.measure).toBe('costUsd');
    expect(settled.limits.remaining).toBeCloseTo(0.5 - Number(ledger.costAtto) / 1e18, 12);
    expect(call.head.headers['x-ratelimit-remaining']).toMatch(/^0\.\d{1,6}$/);
  });

  test('a failure after the model stream opened that is not the model\'s is settled at the bound and recorded estimated', async () => {
    h.sim.answerEmpty(1);
    // A defect in the sink (it throws when the head goes out): the model ran, so the call is never settled at $0
    const sink = { clientGone: false, start(): void { throw new TypeError('the sink failed'); }, delta() { /* none */ } };
    const { result: error, emf } = await withEmf(() => containerPipeline()
      .handleAnswer({ message: LONG_QUESTION, tenantId: 'tenant-defect', userId: 'u1' }, { requestId: 'defect-1', tenantSource: 'iam', userPrincipal: 'AROAEXAMPLE' }, {}, sink)
      .then(() => undefined, (e: unknown) => e));

    expect(error).toMatchObject({ code: 'INTERNAL_ERROR', details: { cutOffMidCall: true } });
    const sim = streamCall();
    const ledger = await ledgerOf('tenant-defect');
    expect(ledger.requests).toBe(1);
    expect(ledger.tokens).toBeGreaterThan(sim.usage!.inputTokens);
    expect(converseRecords(emf)).toEqual([expect.objectContaining({ status: '500', errorCode: 'INTERNAL_ERROR', estimated: true })]);
  });

  test('a client that stops reading is given up on before the deadline: the answer is read to its end, settled and recorded', async () => {
    const stuck = new ClientThatStopsReading();
    // 4.5 s left: the client is waited for 1.5 s, the model stream may run 2.5 s, 2 s are kept to settle
    const { emf } = await withEmf(() => (streamHandler as unknown as StreamingHandler)(
      apiEvent({ message: 'How do I reset my password?', tenantId: 'tenant-slow', userId: 'u1' }), stuck, { getRemainingTimeInMillis: () => 4_500 }) as Promise<void>);

    const sim = streamCall();
    expect(sim.stream).toMatchObject({ outcome: 'completed', usageReported: true });
    const ledger = await ledgerOf('tenant-slow');
    expect(ledger.tokens).toBe(sim.usage!.inputTokens + sim.usage!.outputTokens);
    expect(ledger.costAtto).toBe(usdToAtto(pricedUsd(sim.usage!, sim.baseModelId!)));
    expect(converseRecords(emf)).toEqual([expect.objectContaining({ streamOutcome: 'client-disconnected', streamDeltasSent: 0 })]);
  }); // jest's default 60 s: the deadline's 4.5 s are real time, and a loaded CI machine adds to them

  test.each(['text/event-stream', 'application/json'])('with Accept: %s the client has the whole answer, then the settlement runs, then the response ends', async (accept) => {
    const tenantId = `tenant-order-${accept.replace(/\W/g, '-')}`;
    const call = await invokeStream(apiEvent({ message: 'How do I export my data?', tenantId, userId: 'u1' }, accept));

    // Settled and recorded by the time the stream finished (Lambda need not wait for anything after the end)
    expect(converseRecords(call.emfAtEnd)).toHaveLength(1);
    const charged = (await ledgerOf(tenantId)).costAtto;
    expect(charged > 0n).toBe(true);
    const answered = accept === 'application/json' ? JSON.parse(call.body).cost.totalUsd : call.events.find((ev) => ev.event === 'done')!.data.cost.totalUsd;
    expect(charged).toBe(usdToAtto(answered));
  });
});
