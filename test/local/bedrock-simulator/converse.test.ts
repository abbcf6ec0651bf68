import { ConverseCommand, ConverseCommandInput, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { BedrockMessages, countTokens } from '../../../packages/local/src/bedrock-simulator';
import { modelFacts } from '../../../shared/core';
import { rejectionOf, useSimulator } from './support';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const LLAMA = 'meta.llama3-8b-instruct-v1:0';
const APP_PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6';

function ask(question: string, modelId = HAIKU, extra: Partial<ConverseCommandInput> = {}): ConverseCommand {
  return new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: question }] }], ...extra });
}

describe('Bedrock simulator: Converse', () => {
  const h = useSimulator({ modelAliases: { [APP_PROFILE]: HAIKU } });

  test('answers like Bedrock: an assistant message, end_turn, usage and metrics', async () => {
    const response = await h.client.send(ask('What does prompt caching cost?'));
    const text = response.output?.message?.content?.[0]?.text ?? '';
    expect(response.output?.message?.role).toBe('assistant');
    expect(response.stopReason).toBe('end_turn');
    expect(text.length).toBeGreaterThan(0);
    expect(response.usage?.outputTokens).toBe(countTokens(text));
    expect(response.metrics?.latencyMs).toBe(0);
    expect(response.$metadata.httpStatusCode).toBe(200);
    expect(response.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('the same request always gets the same answer and usage', async () => {
    const first = await h.client.send(ask('Summarise last month of spend.'));
    const second = await h.client.send(ask('Summarise last month of spend.'));
    expect(second.output).toEqual(first.output);
    expect(second.usage).toEqual(first.usage);
  });

  test('the answer depends on the last user message and on the model', async () => {
    const base = await h.client.send(ask('Question one'));
    const otherQuestion = await h.client.send(ask('Question two'));
    const otherModel = await h.client.send(ask('Question one', 'anthropic.claude-sonnet-4-20250514-v1:0'));
    expect(otherQuestion.output?.message?.content?.[0]?.text).not.toBe(base.output?.message?.content?.[0]?.text);
    expect(otherModel.output?.message?.content?.[0]?.text).not.toBe(base.output?.message?.content?.[0]?.text);
  });

  test('output length is deterministic per message and stays within 40 to 400 tokens', async () => {
    const counts = new Set<number>();
    for (let i = 0; i < 25; i++) {
      const response = await h.client.send(ask(`Question number ${i}`));
      const outputTokens = response.usage?.outputTokens ?? -1;
      expect(outputTokens).toBeGreaterThanOrEqual(40);
      expect(outputTokens).toBeLessThanOrEqual(400);
      counts.add(outputTokens);
    }
    expect(counts.size).toBeGreaterThan(5);
  });

  test('a request for a detailed explanation gets a long answer, as real models write without a cap', async () => {
    const response = await h.client.send(ask('Explain step by step how my invoice is computed'));
    expect(response.usage?.outputTokens).toBeGreaterThanOrEqual(800);
    expect(response.usage?.outputTokens).toBeLessThanOrEqual(2500);
    expect(response.stopReason).toBe('end_turn');
  });

  test('maxTokens truncates the answer and reports max_tokens', async () => {
    const full = await h.client.send(ask('Explain the bill in detail'));
    const fullText = full.output?.message?.content?.[0]?.text ?? '';
    expect(full.usage?.outputTokens).toBeGreaterThan(12);

    const cut = await h.client.send(ask('Explain the bill in detail', HAIKU, { inferenceConfig: { maxTokens: 12 } }));
    const cutText = cut.output?.message?.content?.[0]?.text ?? '';
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.usage?.outputTokens).toBe(12);
    expect(countTokens(cutText)).toBe(12);
    expect(fullText.startsWith(cutText)).toBe(true);
    expect(cut.usage?.totalTokens).toBe((cut.usage?.inputTokens ?? 0) + 12);
  });

  test('a maxTokens above the answer length changes nothing', async () => {
    const full = await h.client.send(ask('Short please'));
    const roomy = await h.client.send(ask('Short please', HAIKU, { inferenceConfig: { maxTokens: 4096 } }));
    expect(roomy.stopReason).toBe('end_turn');
    expect(roomy.output).toEqual(full.output);
  });

  test('a stop sequence ends the answer early with stop_sequence', async () => {
    const response = await h.client.send(ask('Two sentences?', HAIKU, { inferenceConfig: { stopSequences: ['.'] } }));
    const text = response.output?.message?.content?.[0]?.text ?? '';
    expect(response.stopReason).toBe('stop_sequence');
    expect(text).not.toContain('.');
    expect(response.usage?.outputTokens).toBe(countTokens(text));
  });

  test('input tokens are system blocks plus message text plus 3 tokens per message', async () => {
    const system = 'You are a terse FinOps assistant.';
    const turns = ['How much did we spend?', 'About 1,234 USD.', 'And per team?'];
    const response = await h.client.send(
      new ConverseCommand({
        modelId: LLAMA,
        system: [{ text: system }],
        messages: [
          { role: 'user', content: [{ text: turns[0] }] },
          { role: 'assistant', content: [{ text: turns[1] }] },
          { role: 'user', content: [{ text: turns[2] }] },
        ],
      }),
    );
    const expected = countTokens(system) + turns.reduce((sum, t) => sum + 3 + countTokens(t), 0);
    expect(response.usage?.inputTokens).toBe(expected);
    expect(response.usage?.totalTokens).toBe(expected + (response.usage?.outputTokens ?? 0));
    // A model without prompt caching reports no cache fields at all.
    expect(response.usage?.cacheReadInputTokens).toBeUndefined();
    expect(response.usage?.cacheWriteInputTokens).toBeUndefined();
  });

  test('a caching-capable model reports zero cache tokens when no cache point is used', async () => {
    // Claude 3 Haiku has no prompt caching on Bedrock; Claude Haiku 4.5 has.
    const cachingModel = 'anthropic.claude-haiku-4-5-20251001-v1:0';
    expect(modelFacts(cachingModel).minCacheTokens).toBeDefined();
    const response = await h.client.send(ask('No cache points here', cachingModel));
    expect(response.usage?.cacheReadInputTokens).toBe(0);
    expect(response.usage?.cacheWriteInputTokens).toBe(0);
    expect(response.usage?.cacheDetails).toBeUndefined();
  });

  test.each([
    ['a base model id', HAIKU],
    ['a US cross-region profile id', `us.${HAIKU}`],
    ['a global cross-region profile id', `global.${HAIKU}`],
    ['a foundation-model ARN', `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`],
    ['an inference-profile ARN', `arn:aws:bedrock:us-east-1:111122223333:inference-profile/eu.${HAIKU}`],
    ['an application-inference-profile ARN in modelAliases', APP_PROFILE],
  ])('resolves %s to the base model', async (_label, modelId) => {
    const viaBase = await h.client.send(ask('Which model are you?'));
    const response = await h.client.send(ask('Which model are you?', modelId));
    expect(response.output).toEqual(viaBase.output);
    expect(h.sim.calls[h.sim.calls.length - 1]).toMatchObject({ modelId, baseModelId: HAIKU, status: 200 });
  });

  test.each([
    ['an application-inference-profile ARN not in modelAliases', 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/unknown'],
    ['text that is not a model id', 'not a model'],
  ])('rejects %s as an invalid model identifier', async (_label, modelId) => {
    const error = await rejectionOf(h.client.send(ask('Hello', modelId)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.invalidModel);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  test('validates conversations like Bedrock', async () => {
    const startsWithAssistant = await rejectionOf(
      h.client.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'assistant', content: [{ text: 'Hi' }] }] })),
    );
    expect(startsWithAssistant).toBeInstanceOf(ValidationException);
    expect(startsWithAssistant.message).toMatch(/must start with a user message/);

    const notAlternating = await rejectionOf(
      h.client.send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [
            { role: 'user', content: [{ text: 'a' }] },
            { role: 'user', content: [{ text: 'b' }] },
          ],
        }),
      ),
    );
    expect(notAlternating.message).toMatch(/must alternate between user and assistant/);

    const badMaxTokens = await rejectionOf(h.client.send(ask('Hi', HAIKU, { inferenceConfig: { maxTokens: 0 } })));
    expect(badMaxTokens).toBeInstanceOf(ValidationException);
  });

  test('Converse on an embeddings model is a ValidationException', async () => {
    const error = await rejectionOf(h.client.send(ask('Hi', 'amazon.titan-embed-text-v2:0')));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.unsupportedOperation);
  });

  test('waits the simulated latency without blocking other requests', async () => {
    h.sim.setLatency(1_000);
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => h.client.send(ask(`Parallel ${i}`))));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(995);
    // One after another would take at least 5 x 1 s; concurrent timers take about one, and a loaded machine adds far
    // less than the 1 s of margin this leaves.
    expect(elapsed).toBeLessThan(4_000);
    expect(responses.map((r) => r.metrics?.latencyMs)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
  });

  test('records every call with operation, model, status, usage and latency', async () => {
    h.sim.setLatency(5);
    const response = await h.client.send(ask('Log me', `us.${HAIKU}`));
    await rejectionOf(h.client.send(ask('Hi', 'not a model')));
    expect(h.sim.calls).toHaveLength(2);
    expect(h.sim.calls[0]).toMatchObject({
      operation: 'Converse',
      modelId: `us.${HAIKU}`,
      baseModelId: HAIKU,
      status: 200,
      latencyMs: 5,
      usage: {
        inputTokens: response.usage?.inputTokens,
        outputTokens: response.usage?.outputTokens,
        totalTokens: response.usage?.totalTokens,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
      },
    });
    expect(h.sim.calls[1]).toMatchObject({ operation: 'Converse', modelId: 'not a model', status: 400, errorType: 'ValidationException', latencyMs: 0 });
    expect(h.sim.calls[1].usage).toBeUndefined();
  });

  test('reset() clears the call log', async () => {
    await h.client.send(ask('One'));
    expect(h.sim.calls).toHaveLength(1);
    h.sim.reset();
    expect(h.sim.calls).toHaveLength(0);
  });
});
