import * as path from 'node:path';
import {
  AWS_LAMBDA_GLOBAL, HTTP_INTEGRATION_CONTENT_TYPE, installAwsLambdaGlobal, invokeStreamingHandler, isStreamingHandler, LambdaResponseStream, PRELUDE_DELIMITER,
  StreamingHandler,
} from '../../../packages/local/src/template/lambda-streaming';
import { loadHandlerExport } from '../../../packages/local/src/template/load-handler';

// Lambda's response streaming as the runtime runs it and API Gateway's streaming integration reads it.
const awslambda = AWS_LAMBDA_GLOBAL;
const FIXTURE = path.join(__dirname, 'fixtures', 'sse-streaming-handler.js');
const CONTEXT = { awsRequestId: 'test' };

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function nextEvent(emitter: NodeJS.EventEmitter, name: string): Promise<void> {
  return new Promise((resolve) => emitter.once(name, () => resolve()));
}

describe('HttpResponseStream.from', () => {
  test('writes the JSON prelude, then 8 NUL bytes, then the payload, on the first write', async () => {
    // Given a handler that sends a status and headers, then two chunks
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'X-Id': 'a' } });
      stream.write('first ');
      stream.end('second');
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    // Every byte the runtime sends on (a second listener beside the decoder's)
    const sent: Buffer[] = [];
    invocation.responseStream.output.on('data', (chunk: Buffer) => sent.push(chunk));

    // When it runs
    const outcome = await invocation.completion;

    // Then the bytes are the prelude's JSON, the delimiter, the payload; the content type is the integration's
    const bytes = Buffer.concat(sent);
    const prelude = JSON.stringify({ statusCode: 201, headers: { 'X-Id': 'a' } });
    expect(bytes.subarray(0, prelude.length).toString()).toBe(prelude);
    expect(bytes.subarray(prelude.length, prelude.length + 8).equals(PRELUDE_DELIMITER)).toBe(true);
    expect([...PRELUDE_DELIMITER]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes.subarray(prelude.length + 8).toString()).toBe('first second');
    expect(invocation.responseStream.contentType).toBe(HTTP_INTEGRATION_CONTENT_TYPE);
    expect(outcome).toEqual({ stream: 'finished' });
  });

  test('the decoder splits the prelude from the payload, header names in lower case', async () => {
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      const stream = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 429, headers: { 'Retry-After': '7' }, multiValueHeaders: { Vary: ['Accept', 'Origin'] }, cookies: ['a=1'],
      });
      stream.write(JSON.stringify({ error: 'limit' }));
      stream.end();
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    expect(await invocation.prelude).toEqual({
      kind: 'prelude', head: { statusCode: 429, headers: { 'retry-after': '7', 'vary': 'Accept, Origin' }, cookies: ['a=1'] },
    });
    expect((await readAll(invocation.payload)).toString()).toBe('{"error":"limit"}');
  });

  test('a prelude split across chunks, and a delimiter split across writes, are still found', async () => {
    // Given bytes written by hand, the delimiter cut in two
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
      responseStream.write('{"statusCo');
      responseStream.write(Buffer.concat([Buffer.from('de":202}'), Buffer.alloc(3)]));
      responseStream.write(Buffer.concat([Buffer.alloc(5), Buffer.from('body')]));
      responseStream.end();
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    expect(await invocation.prelude).toEqual({ kind: 'prelude', head: { statusCode: 202, headers: {}, cookies: [] } });
    expect((await readAll(invocation.payload)).toString()).toBe('body');
  });

  test('end(body) without a write sends no prelude, as in Lambda (the hook runs on write() only)', async () => {
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      awslambda.HttpResponseStream.from(responseStream, { statusCode: 400 }).end('{"error":"bad"}');
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    const prelude = await invocation.prelude;
    expect(prelude.kind).toBe('no-prelude');
    expect((await readAll(invocation.payload)).toString()).toBe('{"error":"bad"}');
  });

  test('a stream not written through HttpResponseStream.from has no prelude: its bytes are the payload', async () => {
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.write('plain');
      responseStream.end();
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    expect(await invocation.prelude).toMatchObject({ kind: 'no-prelude', reason: expect.stringMatching(/application\/octet-stream/) });
    expect((await readAll(invocation.payload)).toString()).toBe('plain');
  });
});

describe('the response stream', () => {
  test('is a Node Writable; the content type cannot change after the first write; objects are written as JSON', async () => {
    let lateContentType: unknown;
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.write({ a: 1 });
      try {
        responseStream.setContentType('text/plain');
      } catch (error) {
        lateContentType = error;
      }
      responseStream.end();
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    expect(invocation.responseStream).toBeInstanceOf(LambdaResponseStream);
    expect((await readAll(invocation.payload)).toString()).toBe('{"a":1}');
    expect(String(lateContentType)).toMatch(/too late/);
  });

  test('a client disconnect destroys it: the handler sees close before finish, and its later writes fail quietly', async () => {
    // Given a handler that writes, waits for the test to disconnect, then writes again
    const seen: string[] = [];
    let writeAfter: boolean | undefined;
    let disconnected!: () => void;
    const gone = new Promise<void>((resolve) => { disconnected = resolve; });
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.on('finish', () => seen.push('finish')).on('close', () => seen.push('close'));
      const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
      stream.write('event: delta\ndata: {"text":"one"}\n\n');
      await gone;
      writeAfter = stream.write('event: delta\ndata: {"text":"two"}\n\n');
      stream.end();
      seen.push('handler returned');
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    await invocation.prelude;
    const first = await new Promise<Buffer>((resolve) => invocation.payload.once('data', resolve));

    // When the client goes away after the first event
    invocation.disconnect();
    await nextEvent(invocation.responseStream, 'close');
    disconnected();
    const outcome = await invocation.completion;

    // Then the handler saw 'close' and never 'finish'; it ran to its end; the invocation says the stream was destroyed
    expect(first.toString()).toContain('"one"');
    expect(seen).toEqual(['close', 'handler returned']);
    expect(writeAfter).toBe(false);
    expect(outcome).toEqual({ stream: 'destroyed' });
  });
});

describe('the invocation', () => {
  test('runs on after the stream ends, and ends when the handler returns', async () => {
    const order: string[] = [];
    let release!: () => void;
    const after = new Promise<void>((resolve) => { release = resolve; });
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 }).write('answer');
      responseStream.end();
      await after;
      order.push('settled');
    });
    const invocation = invokeStreamingHandler(handler, {}, CONTEXT);
    expect((await readAll(invocation.payload)).toString()).toBe('answer');
    order.push('client has the whole answer');
    release();
    await invocation.completion;
    expect(order).toEqual(['client has the whole answer', 'settled']);
  });

  test('fails when the handler returns without ending its stream', async () => {
    const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
      responseStream.write('x');
    });
    const outcome = await invokeStreamingHandler(handler, {}, CONTEXT).completion;
    expect(outcome.error?.message).toBe('Response stream is not finished.');
  });

  test('fails when the handler is not async, and reports what a handler throws', async () => {
    const notAsync = awslambda.streamifyResponse(((_event: unknown, responseStream: LambdaResponseStream) => {
      responseStream.end();
    }) as StreamingHandler);
    expect((await invokeStreamingHandler(notAsync, {}, CONTEXT).completion).error?.message).toMatch(/non-async/);
    const throwing = awslambda.streamifyResponse(async () => {
      throw new Error('model stream broke');
    });
    expect((await invokeStreamingHandler(throwing, {}, CONTEXT).completion).error?.message).toBe('model stream broke');
  });
});

describe('awslambda, before the module loads', () => {
  test('an awslambda the AWS SDK created first (its invoke store) is completed, not kept empty nor replaced', () => {
    // Given the empty object @aws/lambda-invoke-store puts on the global when the SDK loads
    const global = globalThis as unknown as { awslambda?: Record<string, unknown> };
    const before = global.awslambda;
    const store = { name: 'InvokeStore' };
    global.awslambda = { InvokeStore: store };
    try {
      // When the runtime's global is installed
      installAwsLambdaGlobal();

      // Then it has the runtime's functions and still the SDK's store
      expect(typeof global.awslambda.streamifyResponse).toBe('function');
      expect(global.awslambda.HttpResponseStream).toBe(AWS_LAMBDA_GLOBAL.HttpResponseStream);
      expect(global.awslambda.InvokeStore).toBe(store);
    } finally {
      global.awslambda = before;
    }
  });

  test('a module that streamifies its handler at load gets the global and is recognized as streaming', async () => {
    // Given a handler file written as for Lambda (it calls awslambda.streamifyResponse at load; it logs after its end)
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const handler = loadHandlerExport(FIXTURE, 'handler');
    expect(isStreamingHandler(handler)).toBe(true);
    expect(isStreamingHandler(async () => undefined)).toBe(false);

    // When it runs
    const invocation = invokeStreamingHandler(handler as unknown as StreamingHandler, { body: JSON.stringify({ words: ['a', 'b', 'c'] }) }, CONTEXT);

    // Then its events arrive after a prelude with the SSE headers
    expect(await invocation.prelude).toMatchObject({ kind: 'prelude', head: { statusCode: 200, headers: { 'content-type': 'text/event-stream' } } });
    const body = (await readAll(invocation.payload)).toString();
    expect(body.match(/^event: (\w+)$/gm)).toEqual(['event: start', 'event: delta', 'event: delta', 'event: delta', 'event: done']);
    expect(await invocation.completion).toEqual({ stream: 'finished' });
  });
});
