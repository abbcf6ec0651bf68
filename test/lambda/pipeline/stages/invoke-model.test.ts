import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { PipelineConfig, RetryConfig } from '../../../../lambda/pipeline/config';
import { invokeWithRetries, mayHaveBilled } from '../../../../lambda/pipeline/stages/invoke-model';
import { buildPrompt } from '../../../../lambda/pipeline/stages/prompt-cache';
import { routeModel } from '../../../../lambda/pipeline/stages/route-model';
import { ModelTier } from '../../../../shared/core';
import { estimateOf, FAST_RETRY, HAIKU_45, OPUS_45, pipelineErrorOf, useBedrockSimulator, SONNET_45, testConfig, testRequest } from '../support';

let delays: number[];

const simulator = useBedrockSimulator();
beforeEach(() => {
  simulator.sim.reset();
  delays = [];
});

/** Invokes with the route for `tier`, recording the backoff delays instead of waiting; `random` is fixed at 0.5. */
function invoke(tier: ModelTier, retry: Partial<RetryConfig> = {}, config: PipelineConfig = testConfig({ retry: { ...FAST_RETRY, ...retry } }), maxTokens = 256, timing: { now?: () => number; deadlineMs?: number } = {}) {
  const request = testRequest({ hints: { complexity: tier } });
  // These tests pick the tier by hint, so the feature lets hints raise it.
  const route = routeModel(request, { ...config, features: { chat: { ...config.features.chat, maxHintedTier: 'complex' } } }, 10);
  return invokeWithRetries(route, () => buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined), maxTokens, config, {
    bedrock: simulator.client,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    now: timing.now ?? Date.now,
    deadlineMs: timing.deadlineMs,
  });
}

/** The base models the simulator was called with, in order. */
const calledModels = () => simulator.sim.calls.map((c) => c.baseModelId);

describe('invoke-model stage', () => {
  test('answers on the first attempt without waiting', async () => {
    const outcome = await invoke('simple');

    expect(outcome.attempts).toBe(1);
    expect(outcome.route.tier).toBe('simple');
    expect(outcome.response.output?.message?.content?.[0]?.text).toEqual(expect.any(String));
    expect(delays).toEqual([]);
  });

  test('sends the output cap as maxTokens', async () => {
    // Given an output cap of 5 tokens (the simulator's answers are at least 40 tokens long)
    const outcome = await invoke('simple', {}, testConfig(), 5);

    // Then the model stopped at the cap
    expect(outcome.response.usage?.outputTokens).toBe(5);
    expect(outcome.response.stopReason).toBe('max_tokens');
  });

  test('retries a throttled call on the same model and succeeds', async () => {
    // Given one throttle
    simulator.sim.injectFaults('throttle', 1);

    // When the call is made
    const outcome = await invoke('simple');

    // Then the second attempt on the same model answers
    expect(outcome.attempts).toBe(2);
    expect(calledModels()).toEqual([HAIKU_45, HAIKU_45]);
    expect(simulator.sim.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  test.each([
    ['an internal server error (500)', 'server-error' as const, 500],
    ['service unavailable (503)', 'service-unavailable' as const, 503],
    ['a model timeout (408)', 'model-timeout' as const, 408],
  ])('retries after %s', async (_name, fault, status) => {
    simulator.sim.injectFaults(fault, 1);

    const outcome = await invoke('simple');

    expect(outcome.attempts).toBe(2);
    expect(simulator.sim.calls.map((c) => c.status)).toEqual([status, 200]);
  });

  test('waits with full-jitter exponential backoff drawn from the injected random source', async () => {
    // Given three throttles, base delay 200 ms, and random() = 0.5, on a route with four attempts on one model
    simulator.sim.injectFaults('throttle', 3);

    await invoke('simple', { attemptsPerModel: 4, maxAttempts: 4 });

    // Then the waits are 0.5 x 200, 0.5 x 400, 0.5 x 800 ms (ceiling 200 x 2^(attempt-1))
    expect(delays).toEqual([100, 200, 400]);
  });

  test('never waits longer than maxDelayMs', async () => {
    // Given a ceiling of 300 ms and four throttles
    simulator.sim.injectFaults('throttle', 4);

    await invoke('simple', { attemptsPerModel: 5, maxAttempts: 5, maxDelayMs: 300 });

    // Then the ceiling is min(300, 200 x 2^(n-1)) = 200, 300, 300, 300, half of it each time
    expect(delays).toEqual([100, 150, 150, 150]);
  });

  test('falls back to the next cheaper tier after attemptsPerModel failures', async () => {
    // Given a complex request whose model is throttled twice (attemptsPerModel = 2)
    simulator.sim.injectFaults('throttle', 2);

    // When it is invoked
    const outcome = await invoke('complex');

    // Then the medium model answers on the third attempt, and the route says why
    expect(calledModels()).toEqual([OPUS_45, OPUS_45, SONNET_45]);
    expect(outcome.attempts).toBe(3);
    expect(outcome.route.tier).toBe('medium');
    expect(outcome.route.modelId).toBe(`global.${SONNET_45}`);
    expect(outcome.route.reasons).toContain('fallback from complex after retries');
  });

  test('stops at maxAttempts across the whole chain, fallbacks included, and answers 429', async () => {
    // Given more throttles than attempts, maxAttempts 3 and attemptsPerModel 2 on a three-tier chain
    simulator.sim.injectFaults('throttle', 10);

    // When a complex request is invoked
    const error = await pipelineErrorOf(() => invoke('complex', { maxAttempts: 3 }));

    // Then exactly three calls were made: two on complex, one on medium, none on simple
    expect(calledModels()).toEqual([OPUS_45, OPUS_45, SONNET_45]);
    expect(error.status).toBe(429);
    expect(error.code).toBe('MODEL_THROTTLED');
    expect(error.details).toEqual({ attempts: 3, lastError: 'ThrottlingException' });
  });

  test('never falls back to a dearer tier by default', async () => {
    // Given a simple request whose model is always throttled
    simulator.sim.injectFaults('throttle', 10);

    const error = await pipelineErrorOf(() => invoke('simple'));

    // Then only the simple model was called, attemptsPerModel times
    expect(calledModels()).toEqual([HAIKU_45, HAIKU_45]);
    expect(error.status).toBe(429);
  });

  test('falls back to a dearer tier when fallbackUpward is set', async () => {
    simulator.sim.injectFaults('throttle', 2);

    const outcome = await invoke('simple', { fallbackUpward: true });

    expect(calledModels()).toEqual([HAIKU_45, HAIKU_45, SONNET_45]);
    expect(outcome.route.tier).toBe('medium');
  });

  test('answers 503 when every attempt met a server error', async () => {
    simulator.sim.injectFaults('service-unavailable', 10);

    const error = await pipelineErrorOf(() => invoke('simple'));

    expect(error.status).toBe(503);
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.details).toEqual({ attempts: 2, lastError: 'ServiceUnavailableException' });
  });

  test('turns a "too long" ValidationException into a 413 without retrying', async () => {
    // Given a model that rejects the prompt as longer than its context window
    simulator.sim.injectFaults('context-length', 1);

    const error = await pipelineErrorOf(() => invoke('complex'));

    expect(simulator.sim.calls).toHaveLength(1);
    expect(error.status).toBe(413);
    expect(error.code).toBe('CONTEXT_LENGTH_EXCEEDED');
    expect(error.message).toContain('Input is too long for requested model.');
  });

  test('turns any other ValidationException into a 400 without retrying', async () => {
    // Given a tier whose model id Bedrock does not know
    const config = testConfig({ tiers: { simple: { invokeId: 'not a model', modelId: 'not a model' } } });

    const error = await pipelineErrorOf(() => invoke('simple', {}, config));

    expect(simulator.sim.calls).toHaveLength(1);
    expect(error.status).toBe(400);
    expect(error.code).toBe('MODEL_REJECTED_REQUEST');
    expect(error.message).toContain('The provided model identifier is invalid.');
  });

  test('turns an error that is neither retryable nor a validation error into a 502 without retrying', async () => {
    // Given a Bedrock that denies access (403), which the simulator cannot produce
    const config = testConfig();
    const request = testRequest();
    let calls = 0;
    const denied = Object.assign(new Error('User is not authorized to perform bedrock:InvokeModel'), {
      name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 },
    });
    const failing = { send: async () => { calls++; throw denied; } } as unknown as BedrockRuntimeClient;

    const error = await pipelineErrorOf(() => invokeWithRetries(routeModel(request, config, 10),
      () => buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined), 256, config,
      { bedrock: failing, sleep: async () => undefined, random: () => 0, now: Date.now }));

    expect(calls).toBe(1);
    expect(error.status).toBe(502);
    expect(error.code).toBe('MODEL_ERROR');
    expect(error.message).toContain('AccessDeniedException');
  });

  describe('a connection that fails after the request was sent', () => {
    test('a reset after the model ran (billed, no answer) is not retried, and is reported as maybe billed', async () => {
      // Given a simulator that runs the model, bills it, then drops the connection instead of answering
      simulator.sim.injectFaults('connection-reset', 1);

      // When the call is made over the real SDK
      const error = await pipelineErrorOf(() => invoke('simple'));

      // Then it was not sent again (a second call could bill twice), and the error says Bedrock may have billed it
      expect(simulator.sim.calls).toHaveLength(1);
      expect(simulator.sim.calls[0].usage).toBeDefined();
      expect(error.code).toBe('MODEL_CONNECTION_LOST');
      expect(mayHaveBilled(error)).toBe(true);
    });

    test('errors with a Bedrock status (throttled, then invalid) and a refused connection are not maybe billed', async () => {
      simulator.sim.injectFaults('throttle', 4);
      const throttled = await pipelineErrorOf(() => invoke('simple'));
      // A real SDK client at a port nobody listens on: the connection is refused, so no request reached Bedrock
      const closed = new BedrockRuntimeClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const config = testConfig({ retry: { ...FAST_RETRY, maxAttempts: 1 } });
      const request = testRequest();
      const unreachable = await pipelineErrorOf(() => invokeWithRetries(routeModel(request, config, 10),
        () => buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined), 256, config,
        { bedrock: closed, sleep: async () => undefined, random: () => 0, now: Date.now })).finally(() => closed.destroy());

      expect(throttled.code).toBe('MODEL_THROTTLED');
      expect(mayHaveBilled(throttled)).toBe(false);
      expect(unreachable.code).toBe('MODEL_ERROR');
      expect(mayHaveBilled(unreachable)).toBe(false);
    });
  });

  describe('the deadline', () => {
    test('no attempt starts when less than a second is left, and the caller gets a 503 with a reason', async () => {
      // Given a deadline 2.7 s away, of which 2 s are kept back to settle and respond
      const now = Date.UTC(2026, 10, 28, 12);

      // When the stage is asked to invoke
      const error = await pipelineErrorOf(() => invoke('simple', {}, undefined, 256, { now: () => now, deadlineMs: now + 2_700 }));

      // Then no model call was made
      expect(error.status).toBe(503);
      expect(error.code).toBe('MODEL_DEADLINE_EXCEEDED');
      expect(simulator.sim.calls).toHaveLength(0);
    });

    test('retries stop when the time left runs out, before the attempt cap', async () => {
      // Given a clock that advances 2 s per backoff and a deadline 5.5 s away (2 s of it kept back), and a throttled model
      let now = Date.UTC(2026, 10, 28, 12);
      const deadlineMs = now + 5_500;
      simulator.sim.injectFaults('throttle', 4);
      const request = testRequest({ hints: { complexity: 'simple' } });
      const config = testConfig({ retry: { ...FAST_RETRY, maxAttempts: 4, attemptsPerModel: 4 } });

      // When the stage retries
      const error = await pipelineErrorOf(() => invokeWithRetries(routeModel(request, config, 10),
        () => buildPrompt(request, undefined, estimateOf({ message: 10 }), undefined), 256, config,
        { bedrock: simulator.client, sleep: async () => { now += 2_000; }, random: () => 0.5, now: () => now, deadlineMs }));

      // Then it made the two calls that fit and gave up with the deadline error, not the throttling one
      expect(simulator.sim.calls).toHaveLength(2);
      expect(error.code).toBe('MODEL_DEADLINE_EXCEEDED');
      expect(error.details).toMatchObject({ attempts: 2, lastError: 'ThrottlingException' });
    });
  });
});
