import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  InternalServerException,
  InvokeModelCommand,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { modelFacts } from '../../../shared/core';
import { BedrockMessages, BedrockSimulator, contextWindowTokens, FaultKind, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { clientFor, rejectionOf, textOfTokens } from './support';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';

function ask(modelId = HAIKU, text = 'Hello'): ConverseCommand {
  return new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text }] }] });
}

describe('Bedrock simulator: faults', () => {
  let sim: BedrockSimulator;
  let client: BedrockRuntimeClient;

  beforeAll(async () => {
    sim = await startBedrockSimulator();
    client = clientFor(sim);
  });
  afterEach(() => {
    sim.reset();
    sim.setLatency(0);
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  test.each<[FaultKind, new (...args: never[]) => BedrockRuntimeServiceException, number, string]>([
    ['throttle', ThrottlingException, 429, BedrockMessages.throttled],
    ['server-error', InternalServerException, 500, BedrockMessages.internal],
    ['service-unavailable', ServiceUnavailableException, 503, BedrockMessages.unavailable],
    ['model-timeout', ModelTimeoutException, 408, BedrockMessages.modelTimeout],
    ['context-length', ValidationException, 400, BedrockMessages.inputTooLong],
  ])('%s arrives as %p with status %i', async (kind, errorClass, status, message) => {
    sim.injectFaults(kind, 1);
    const error = await rejectionOf(client.send(ask()));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.name).toBe(errorClass.name);
    expect(error.message).toBe(message);
    expect(error.$metadata.httpStatusCode).toBe(status);
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.calls[0]).toMatchObject({ operation: 'Converse', status, errorType: errorClass.name });
  });

  test('connection-reset runs and bills the model, then drops the request: the client gets an error without an HTTP status', async () => {
    sim.injectFaults('connection-reset', 1);

    const error = await rejectionOf(client.send(ask()));

    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(sim.calls).toHaveLength(1);
    expect(sim.calls[0]).toMatchObject({ operation: 'Converse', status: 0, errorType: 'ConnectionReset', usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
    // The session survives: the next call on the same client is answered.
    await expect(client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('connection-reset over HTTP/1.1 closes the connection mid-request (socket hang up)', async () => {
    sim.injectFaults('connection-reset', 1);

    const failure = await fetch(`${sim.endpoint}/model/${encodeURIComponent(HAIKU)}/converse`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
    }).then(() => undefined, (error: unknown) => error);

    // undici: 'fetch failed', caused by the socket closed before any response (no status to read)
    expect(failure).toMatchObject({ message: 'fetch failed', cause: expect.objectContaining({ code: 'UND_ERR_SOCKET' }) });
    expect(sim.calls[0]).toMatchObject({ status: 0, usage: expect.any(Object) });
  });

  test('faults are served first in, first out, then calls succeed again', async () => {
    sim.injectFaults('throttle', 2);
    sim.injectFaults('server-error', 1);
    await expect(client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    await expect(client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    await expect(client.send(ask())).rejects.toBeInstanceOf(InternalServerException);
    await expect(client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
    expect(sim.calls.map((c) => c.status)).toEqual([429, 429, 500, 200]);
  });

  test('faults apply to InvokeModel too', async () => {
    sim.injectFaults('service-unavailable', 1);
    const invoke = client.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: JSON.stringify({ inputText: 'x' }) }));
    await expect(invoke).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  test('the SDK retry strategy recovers from transient faults', async () => {
    const retrying = clientFor(sim, 3);
    try {
      sim.injectFaults('service-unavailable', 2);
      const response = await retrying.send(ask());
      expect(response.$metadata.attempts).toBe(3);
      expect(sim.calls.map((c) => c.status)).toEqual([503, 503, 200]);
    } finally {
      retrying.destroy();
    }
  });

  test('a model timeout waits the simulated latency; a throttle answers at once', async () => {
    sim.setLatency(300);
    sim.injectFaults('model-timeout', 1);
    sim.injectFaults('throttle', 1);
    const started = Date.now();
    await expect(client.send(ask())).rejects.toBeInstanceOf(ModelTimeoutException);
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
    // The throttle's "at once" is its recorded latency below (0), not a wall-clock bound.
    await expect(client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    expect(sim.calls.map((c) => c.latencyMs)).toEqual([300, 0]);
  });

  test('input beyond the context window is rejected like Bedrock does', async () => {
    // The windows are core's: Nova Micro's 128k is smaller than Claude's 200k.
    expect(contextWindowTokens(NOVA_MICRO)).toBe(modelFacts(NOVA_MICRO).contextWindow);
    expect(contextWindowTokens(HAIKU)).toBe(modelFacts(HAIKU).contextWindow);
    expect(modelFacts(NOVA_MICRO).contextWindow).toBeLessThan(130_000);
    expect(modelFacts(HAIKU).contextWindow).toBeGreaterThanOrEqual(130_000);

    // 3 tokens of message overhead plus the text: 130,000 fits Claude's 200k window but not Nova Micro's 128k.
    const long = textOfTokens(129_997);
    const error = await rejectionOf(client.send(ask(NOVA_MICRO, long)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.inputTooLong);
    await expect(client.send(ask(HAIKU, long))).resolves.toMatchObject({ usage: expect.objectContaining({ inputTokens: 130_000 }) });
  });

  test('the context window is exact: at the limit passes, one token over fails', async () => {
    const window = modelFacts(NOVA_MICRO).contextWindow;
    await expect(client.send(ask(NOVA_MICRO, textOfTokens(window - 3)))).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(client.send(ask(NOVA_MICRO, textOfTokens(window - 2)))).rejects.toBeInstanceOf(ValidationException);
  });

  test('reset() drops queued faults', async () => {
    sim.injectFaults('throttle', 3);
    sim.reset();
    await expect(client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('rejects nonsense fault arguments', () => {
    expect(() => sim.injectFaults('throttle', -1)).toThrow(/non-negative integer/);
    expect(() => sim.injectFaults('throttle', 1.5)).toThrow(/non-negative integer/);
    expect(() => sim.injectFaults('meteor-strike' as FaultKind, 1)).toThrow(/Unknown fault kind/);
    expect(() => sim.setLatency(-5)).toThrow(/non-negative/);
  });
});
