import * as http from 'node:http';
import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  ConverseStreamCommandInput,
  ConverseStreamOutput,
  InternalServerException,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { BedrockSimulator, countTokens, SimulatedCall, StreamFaultKind } from '../../../packages/local/src/bedrock-simulator';
import { splitIntoDeltas } from '../../../packages/local/src/bedrock-simulator/converse-stream';
import { rejectionOf, textOfTokens, useSimulatorPerTest } from './support';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET_4 = 'anthropic.claude-sonnet-4-20250514-v1:0';

function request(text = 'How do I read my bill?', extra: Partial<ConverseStreamCommandInput> = {}): ConverseStreamCommandInput {
  return { modelId: HAIKU, messages: [{ role: 'user', content: [{ text }] }], ...extra };
}

/** Every event of a stream, in order, as the SDK decoded them. */
async function eventsOf(client: BedrockRuntimeClient, input: ConverseStreamCommandInput): Promise<ConverseStreamOutput[]> {
  const response = await client.send(new ConverseStreamCommand(input));
  const events: ConverseStreamOutput[] = [];
  for await (const event of response.stream!) events.push(event);
  return events;
}

const deltaTexts = (events: ReadonlyArray<ConverseStreamOutput>): string[] => events.flatMap((e) => (e.contentBlockDelta ? [e.contentBlockDelta.delta!.text!] : []));
const eventNames = (events: ReadonlyArray<ConverseStreamOutput>): string[] => events.map((e) => Object.entries(e).find(([, value]) => value !== undefined)![0]);

/** Waits (bounded, to catch a hang) until the simulator has recorded `count` calls; a stream is recorded when it ends. */
async function recordedCalls(sim: BedrockSimulator, count: number): Promise<ReadonlyArray<SimulatedCall>> {
  for (let i = 0; i < 500 && sim.calls.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(sim.calls).toHaveLength(count);
  return sim.calls;
}

describe('Bedrock simulator: ConverseStream', () => {
  const h = useSimulatorPerTest();

  test('sends the events Bedrock sends, whose deltas join to the Converse answer with the same usage and stop reason', async () => {
    const input = request('Explain how prompt caching changes the bill, step by step.', { requestMetadata: { tenant: 'acme' }, serviceTier: { type: 'flex' } });
    const buffered = await h.client.send(new ConverseCommand(input));
    const events = await eventsOf(h.client, input);

    const deltas = deltaTexts(events);
    expect(deltas.length).toBeGreaterThan(10);
    expect(eventNames(events)).toEqual(['messageStart', ...deltas.map(() => 'contentBlockDelta'), 'contentBlockStop', 'messageStop', 'metadata']);
    expect(events[0].messageStart).toEqual({ role: 'assistant' });
    expect(deltas.join('')).toBe(buffered.output!.message!.content![0].text);
    // Word boundaries: every delta after the first starts with the space before its first word.
    expect(deltas.slice(1).every((d) => d.startsWith(' '))).toBe(true);
    expect(events.at(-2)!.messageStop).toEqual({ stopReason: buffered.stopReason });
    const metadata = events.at(-1)!.metadata!;
    expect(metadata.usage).toEqual(buffered.usage);
    expect(metadata.metrics).toEqual({ latencyMs: 0 });
    expect(metadata.serviceTier).toEqual({ type: 'flex' });

    const [, streamed] = await recordedCalls(h.sim, 2);
    expect(streamed).toMatchObject({
      operation: 'ConverseStream', modelId: HAIKU, status: 200, requestMetadata: { tenant: 'acme' },
      usage: h.sim.calls[0].usage, stream: { outcome: 'completed', deltasSent: deltas.length, textSent: deltas.join(''), usageReported: true },
    });
    expect(streamed.errorType).toBeUndefined();
  });

  test('a max-tokens cap ends the stream with max_tokens, and the output tokens are the cap', async () => {
    const events = await eventsOf(h.client, request('Hello', { inferenceConfig: { maxTokens: 7 } }));
    expect(events.at(-2)!.messageStop!.stopReason).toBe('max_tokens');
    expect(events.at(-1)!.metadata!.usage!.outputTokens).toBe(7);
    expect(countTokens(deltaTexts(events).join(''))).toBe(7);
  });

  test('a cached prefix is written by the first stream and read by the next, as Converse reports it', async () => {
    const input = (): ConverseStreamCommandInput => ({
      modelId: SONNET_4,
      system: [{ text: textOfTokens(1100) }, { cachePoint: { type: 'default' } }],
      messages: [{ role: 'user', content: [{ text: 'What changed?' }] }],
    });
    const first = (await eventsOf(h.client, input())).at(-1)!.metadata!.usage!;
    const second = (await eventsOf(h.client, input())).at(-1)!.metadata!.usage!;

    expect(first).toMatchObject({ cacheWriteInputTokens: 1100, cacheReadInputTokens: 0 });
    expect(second).toMatchObject({ cacheWriteInputTokens: 0, cacheReadInputTokens: 1100 });
    expect(second.totalTokens).toBe(second.inputTokens! + second.outputTokens! + 1100);
  });

  test('an up-front fault is answered with an HTTP error before any stream, as for Converse', async () => {
    h.sim.injectFaults('throttle', 1);
    const error = await rejectionOf(h.client.send(new ConverseStreamCommand(request())));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect((await recordedCalls(h.sim, 1))[0]).toMatchObject({ operation: 'ConverseStream', status: 429, errorType: 'ThrottlingException' });
    expect(h.sim.calls[0].stream).toBeUndefined();
  });

  test.each<[StreamFaultKind, new (...args: never[]) => BedrockRuntimeServiceException]>([
    ['throttle', ThrottlingException],
    ['model-stream-error', ModelStreamErrorException],
    ['server-error', InternalServerException],
    ['service-unavailable', ServiceUnavailableException],
  ])('a mid-stream %s surfaces from the iterator as %p after the deltas before it, and bills what was generated', async (kind, errorClass) => {
    h.sim.injectStreamFaults(kind, 1, 3);
    const response = await h.client.send(new ConverseStreamCommand(request()));
    const received: ConverseStreamOutput[] = [];
    const error = await rejectionOf((async () => {
      for await (const event of response.stream!) received.push(event);
    })());

    expect(error).toBeInstanceOf(errorClass);
    expect(error.name).toBe(errorClass.name);
    expect(eventNames(received)).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta']);
    const sent = deltaTexts(received).join('');
    const [call] = await recordedCalls(h.sim, 1);
    expect(call).toMatchObject({ operation: 'ConverseStream', status: 200, errorType: errorClass.name, stream: { outcome: 'exception', deltasSent: 3, textSent: sent, usageReported: false } });
    expect(call.usage!.outputTokens).toBe(countTokens(sent));
    expect(call.usage!.inputTokens).toBeGreaterThan(0);
    expect(call.usage!.totalTokens).toBe(call.usage!.inputTokens + countTokens(sent));
  });

  test('a model stream error carries the status and message the model failed with', async () => {
    h.sim.injectStreamFaults('model-stream-error', 1, 0);
    const response = await h.client.send(new ConverseStreamCommand(request()));
    const error = await rejectionOf((async () => {
      for await (const event of response.stream!) void event;
    })());
    expect(error).toMatchObject({ name: 'ModelStreamErrorException', originalStatusCode: 529, originalMessage: 'Overloaded' });
  });

  test('a connection dropped midway fails the iterator after the deltas before it, and the call is recorded as dropped', async () => {
    h.sim.injectStreamFaults('connection-drop', 1, 2);
    const response = await h.client.send(new ConverseStreamCommand(request()));
    const received: ConverseStreamOutput[] = [];
    const error = await rejectionOf((async () => {
      for await (const event of response.stream!) received.push(event);
    })());

    // HTTP/2 (the SDK's default handler): the stream is reset, which the iterator raises.
    expect(error).toMatchObject({ code: 'ERR_HTTP2_STREAM_ERROR', message: expect.stringContaining('NGHTTP2_INTERNAL_ERROR') });
    expect(deltaTexts(received)).toHaveLength(2);
    const [call] = await recordedCalls(h.sim, 1);
    expect(call).toMatchObject({ status: 200, stream: { outcome: 'dropped', deltasSent: 2, usageReported: false } });
    expect(call.usage!.outputTokens).toBe(countTokens(deltaTexts(received).join('')));
    // The session survives: the next stream on the same h.client completes.
    expect(eventNames(await eventsOf(h.client, request())).at(-1)).toBe('metadata');
  });

  test('a client that leaves midway (SDK abort) stops the simulator, which records what it sent', async () => {
    // The model stalls after 4 deltas, so what the simulator sent is exactly what the h.client saw before it left.
    h.sim.injectStreamFaults('stall', 1, 4);
    const abort = new AbortController();
    const response = await h.client.send(new ConverseStreamCommand(request()), { abortSignal: abort.signal });
    const received: string[] = [];
    // Aborting cancels the HTTP/2 stream; the SDK's iterator then ends without another event.
    for await (const event of response.stream!) {
      if (event.contentBlockDelta) received.push(event.contentBlockDelta.delta!.text!);
      if (received.length === 4) abort.abort();
    }

    expect(received).toHaveLength(4);
    const [call] = await recordedCalls(h.sim, 1);
    expect(call).toMatchObject({ status: 200, stream: { outcome: 'client-disconnected', deltasSent: 4, textSent: received.join(''), usageReported: false } });
    expect(call.usage!.outputTokens).toBe(countTokens(received.join('')));
  });

  test('a client that stops reading and closes its HTTP/1.1 connection midway is noticed between deltas', async () => {
    h.sim.injectStreamFaults('stall', 1, 1);
    const url = new URL(`${h.sim.endpoint}/model/${encodeURIComponent(HAIKU)}/converse-stream`);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/vnd.amazon.eventstream');
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
      req.end(JSON.stringify(request()));
    });
    const [call] = await recordedCalls(h.sim, 1);
    expect(call.stream).toMatchObject({ outcome: 'client-disconnected', deltasSent: 1 });
  });

  test('deltas split text at word boundaries and join back to it', () => {
    const text = 'One two three four five six seven. Eight nine.';
    const deltas = splitIntoDeltas(text);
    expect(deltas).toEqual(['One two three', ' four five six', ' seven. Eight nine.']);
    expect(splitIntoDeltas('')).toEqual([]);
  });

  test('bad stream-fault input is refused with the fix', () => {
    expect(() => h.sim.injectStreamFaults('nope' as StreamFaultKind, 1, 0)).toThrow(/Unknown stream fault kind 'nope'. Use one of: throttle/);
    expect(() => h.sim.injectStreamFaults('throttle', 1, -1)).toThrow('afterDeltas must be a non-negative integer, got -1.');
  });
});
