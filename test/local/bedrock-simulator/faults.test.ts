import {
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
import { BedrockMessages, contextWindowTokens, FaultKind } from '../../../packages/local/src/bedrock-simulator';
import { clientFor, rejectionOf, textOfTokens, useSimulator } from './support';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';

function ask(modelId = HAIKU, text = 'Hello'): ConverseCommand {
  return new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text }] }] });
}

describe('Bedrock simulator: faults', () => {
  const h = useSimulator();

  test.each<[FaultKind, new (...args: never[]) => BedrockRuntimeServiceException, number, string]>([
    ['throttle', ThrottlingException, 429, BedrockMessages.throttled],
    ['server-error', InternalServerException, 500, BedrockMessages.internal],
    ['service-unavailable', ServiceUnavailableException, 503, BedrockMessages.unavailable],
    ['model-timeout', ModelTimeoutException, 408, BedrockMessages.modelTimeout],
    ['context-length', ValidationException, 400, BedrockMessages.inputTooLong],
  ])('%s arrives as %p with status %i', async (kind, errorClass, status, message) => {
    h.sim.injectFaults(kind, 1);
    const error = await rejectionOf(h.client.send(ask()));
    expect(error).toBeInstanceOf(errorClass);
    expect(error.name).toBe(errorClass.name);
    expect(error.message).toBe(message);
    expect(error.$metadata.httpStatusCode).toBe(status);
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.sim.calls[0]).toMatchObject({ operation: 'Converse', status, errorType: errorClass.name });
  });

  test('connection-reset runs and bills the model, then drops the request: the client gets an error without an HTTP status', async () => {
    h.sim.injectFaults('connection-reset', 1);

    const error = await rejectionOf(h.client.send(ask()));

    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect(h.sim.calls).toHaveLength(1);
    expect(h.sim.calls[0]).toMatchObject({ operation: 'Converse', status: 0, errorType: 'ConnectionReset', usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
    // The session survives: the next call on the same h.client is answered.
    await expect(h.client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('connection-reset over HTTP/1.1 closes the connection mid-request (socket hang up)', async () => {
    h.sim.injectFaults('connection-reset', 1);

    const failure = await fetch(`${h.sim.endpoint}/model/${encodeURIComponent(HAIKU)}/converse`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }] }),
    }).then(() => undefined, (error: unknown) => error);

    // undici: 'fetch failed', caused by the socket closed before any response (no status to read)
    expect(failure).toMatchObject({ message: 'fetch failed', cause: expect.objectContaining({ code: 'UND_ERR_SOCKET' }) });
    expect(h.sim.calls[0]).toMatchObject({ status: 0, usage: expect.any(Object) });
  });

  test('faults are served first in, first out, then calls succeed again', async () => {
    h.sim.injectFaults('throttle', 2);
    h.sim.injectFaults('server-error', 1);
    await expect(h.client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    await expect(h.client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    await expect(h.client.send(ask())).rejects.toBeInstanceOf(InternalServerException);
    await expect(h.client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
    expect(h.sim.calls.map((c) => c.status)).toEqual([429, 429, 500, 200]);
  });

  test('faults apply to InvokeModel too', async () => {
    h.sim.injectFaults('service-unavailable', 1);
    const invoke = h.client.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: JSON.stringify({ inputText: 'x' }) }));
    await expect(invoke).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  test('the SDK retry strategy recovers from transient faults', async () => {
    const retrying = clientFor(h.sim, 3);
    try {
      h.sim.injectFaults('service-unavailable', 2);
      const response = await retrying.send(ask());
      expect(response.$metadata.attempts).toBe(3);
      expect(h.sim.calls.map((c) => c.status)).toEqual([503, 503, 200]);
    } finally {
      retrying.destroy();
    }
  });

  test('a model timeout waits the simulated latency; a throttle answers at once', async () => {
    h.sim.setLatency(300);
    h.sim.injectFaults('model-timeout', 1);
    h.sim.injectFaults('throttle', 1);
    const started = Date.now();
    await expect(h.client.send(ask())).rejects.toBeInstanceOf(ModelTimeoutException);
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
    // The throttle's "at once" is its recorded latency below (0), not a wall-clock bound.
    await expect(h.client.send(ask())).rejects.toBeInstanceOf(ThrottlingException);
    expect(h.sim.calls.map((c) => c.latencyMs)).toEqual([300, 0]);
  });

  test('input beyond the context window is rejected like Bedrock does', async () => {
    // The windows are core's: Nova Micro's 128k is smaller than Claude's 200k.
    expect(contextWindowTokens(NOVA_MICRO)).toBe(modelFacts(NOVA_MICRO).contextWindow);
    expect(contextWindowTokens(HAIKU)).toBe(modelFacts(HAIKU).contextWindow);
    expect(modelFacts(NOVA_MICRO).contextWindow).toBeLessThan(130_000);
    expect(modelFacts(HAIKU).contextWindow).toBeGreaterThanOrEqual(130_000);

    // 3 tokens of message overhead plus the text: 130,000 fits Claude's 200k window but not Nova Micro's 128k.
    const long = textOfTokens(129_997);
    const error = await rejectionOf(h.client.send(ask(NOVA_MICRO, long)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.inputTooLong);
    await expect(h.client.send(ask(HAIKU, long))).resolves.toMatchObject({ usage: expect.objectContaining({ inputTokens: 130_000 }) });
  });

  test('the context window is exact: at the limit passes, one token over fails', async () => {
    const window = modelFacts(NOVA_MICRO).contextWindow;
    await expect(h.client.send(ask(NOVA_MICRO, textOfTokens(window - 3)))).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(h.client.send(ask(NOVA_MICRO, textOfTokens(window - 2)))).rejects.toBeInstanceOf(ValidationException);
  });

  test('reset() drops queued faults', async () => {
    h.sim.injectFaults('throttle', 3);
    h.sim.reset();
    await expect(h.client.send(ask())).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  test('rejects nonsense fault arguments', () => {
    expect(() => h.sim.injectFaults('throttle', -1)).toThrow(/non-negative integer/);
    expect(() => h.sim.injectFaults('throttle', 1.5)).toThrow(/non-negative integer/);
    expect(() => h.sim.injectFaults('meteor-strike' as FaultKind, 1)).toThrow(/Unknown fault kind/);
    expect(() => h.sim.setLatency(-5)).toThrow(/non-negative/);
  });
});
