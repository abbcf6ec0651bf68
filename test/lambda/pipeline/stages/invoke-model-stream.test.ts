import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { streamWithRetries, StreamedCall } from '../../../../lambda/pipeline/stages/invoke-model-stream';
import { buildPrompt } from '../../../../lambda/pipeline/stages/prompt-cache';
import { routeModel } from '../../../../lambda/pipeline/stages/route-model';
import { estimateOf, FAST_RETRY, HAIKU_45, testConfig, testRequest, useBedrockSimulator } from '../support';

const simulator = useBedrockSimulator();
beforeEach(() => simulator.sim.reset());

/** Streams one request through `bedrock` (the simulator's client unless given), collecting the deltas. */
async function stream(bedrock: BedrockRuntimeClient = simulator.client): Promise<{ call: StreamedCall; deltas: string[] }> {
  const config = testConfig({ retry: FAST_RETRY });
  const request = testRequest();
  const route = routeModel(request, config, 10);
  const deltas: string[] = [];
  const call = await streamWithRetries(route, () => buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined), 256, config, {
    bedrock, sleep: async () => undefined, random: () => 0.5, now: Date.now,
  }, 'standard', { tenantId: 't1' }, (text) => {
    deltas.push(text);
  });
  return { call, deltas };
}

describe('invoke-model-stream stage (ConverseStream)', () => {
  test('streams the text as deltas and ends with the usage and stop reason of the last events', async () => {
    const { call, deltas } = await stream();

    const sim = simulator.sim.calls[0];
    expect(sim.operation).toBe('ConverseStream');
    expect(sim.requestMetadata).toEqual({ tenantId: 't1' });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(sim.stream!.textSent);
    expect(call).toMatchObject({ text: sim.stream!.textSent, deltas: deltas.length, attempts: 1 });
    expect(call.usage).toMatchObject({ inputTokens: sim.usage!.inputTokens, outputTokens: sim.usage!.outputTokens });
    expect(call.stopReason).toMatch(/^(end_turn|max_tokens)$/);
    expect(call.failure).toBeUndefined();
  });

  test('retries a throttled opening of the stream as the buffered stage does (Bedrock bills no throttled call)', async () => {
    simulator.sim.injectFaults('throttle', 1);

    const { call } = await stream();

    expect(simulator.sim.calls.map((c) => [c.operation, c.baseModelId, c.status])).toEqual([['ConverseStream', HAIKU_45, 429], ['ConverseStream', HAIKU_45, 200]]);
    expect(call.attempts).toBe(2);
    expect(call.failure).toBeUndefined();
    expect(call.text.length).toBeGreaterThan(0);
  });

  test('a stream that ends quietly without its stop and usage (an aborted HTTP/2 stream) is a failure, not an answer', async () => {
    // The SDK ends the iterator without a throw when its HTTP/2 stream is aborted mid-way: only the missing events say so.
    const quiet = {
      send: async () => ({
        stream: (async function* () {
          yield { messageStart: { role: 'assistant' } };
          yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Half an ' } } };
          yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'answer' } } };
        })(),
      }),
    } as unknown as BedrockRuntimeClient;

    const { call, deltas } = await stream(quiet);

    expect(deltas).toEqual(['Half an ', 'answer']);
    expect(call.usage).toBeUndefined();
    expect(call.failure).toMatchObject({ status: 502, code: 'MODEL_STREAM_INTERRUPTED', details: { cutOffMidCall: true, deltas: 2 } });
  });

  test('an exception event mid-stream is returned as a failure after the deltas sent, never retried', async () => {
    simulator.sim.injectStreamFaults('throttle', 1, 1);

    const { call, deltas } = await stream();

    expect(simulator.sim.calls).toHaveLength(1);
    expect(deltas).toHaveLength(1);
    expect(call.failure).toMatchObject({ status: 429, code: 'MODEL_THROTTLED', details: { cutOffMidCall: true, deltas: 1 } });
  });
});
