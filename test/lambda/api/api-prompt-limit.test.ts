/**
 * The prompt limit through the real API handler, the real SDK and the Bedrock simulator (whose CountTokens and
 * billing count with the public Claude tokenizer): a prompt is refused without asking Bedrock only when its lower
 * bound is over the limit, admitted without asking only when its upper bound is within it, and between the two
 * Bedrock's CountTokens decides. No prompt within the limit is refused, none over it admitted.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { TEXT_KINDS } from '../../../bench/text-samples';
import { handler } from '../../../lambda/api/handler';
import { resetClients } from '../../../lambda/shared/clients';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { BedrockSimulator, startBedrockSimulator, truncateToTokens } from '../../../packages/local/src/bedrock-simulator';
import { seededRandom } from '../../../packages/local/src/bedrock-simulator/random';
import { promptCorpus, realInputTokens } from '../../fixtures/prompt-corpus';
import { captureLogs, event, MODEL_ALIASES, PipelineConfigOptions, pipelineConfigJson, setHandlerEnv, withEmf } from '../../support/handler-env';

let sim: BedrockSimulator;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;
let requestCounter = 0;

beforeAll(async () => {
  sim = await startBedrockSimulator({ modelAliases: MODEL_ALIASES });
  restoreEnv = setHandlerEnv({ bedrock: sim.endpoint }, { GENAI_PIPELINE_CONFIG: pipelineConfigJson() });
});

afterAll(async () => {
  resetClients();
  resetContainer();
  await sim?.close();
  restoreEnv?.();
});

beforeEach(() => {
  sim.reset();
  useConfig({});
  logs = captureLogs();
});

afterEach(() => logs.restore());

function useConfig(options: PipelineConfigOptions): void {
  process.env.GENAI_PIPELINE_CONFIG = pipelineConfigJson(options);
  resetContainer();
}

function apiEvent(body: unknown): APIGatewayProxyEvent {
  const base = event('api-gateway-proxy');
  requestCounter++;
  return {
    ...base,
    body: JSON.stringify(body),
    requestContext: { ...base.requestContext, requestId: `d7bf0bd7-7b61-11e6-9a41-${String(requestCounter).padStart(12, '0')}` },
  };
}

async function send(message: string, tenantId = 'tenant-limit'): Promise<{ response: APIGatewayProxyResult; body: any; operations: string[] }> {
  const before = sim.calls.length;
  const { result } = await withEmf(() => handler(apiEvent({ message, tenantId })));
  return { response: result, body: JSON.parse(result.body), operations: sim.calls.slice(before).map((c) => c.operation) };
}

/** Text of a kind, cut to exactly `tokens` tokens of the simulator's tokenizer. */
function textOf(kind: string, tokens: number, seed: number): string {
  return truncateToTokens(TEXT_KINDS[kind](seededRandom(seed), tokens * 6), tokens).text;
}

describe('the prompt limit near 50,000 tokens (the default)', () => {
  test.each([
    ['englishProse', 47_000],
    ['russian', 45_000],
  ])("admits the issue's %s prompt of %i tokens after one CountTokens, and reserves and bills its counted size", async (kind, tokens) => {
    // Given a prompt under the limit whose upper bound (and central estimate) are over it
    const message = textOf(kind, tokens, tokens);
    const real = realInputTokens(message);
    expect(real).toBeLessThanOrEqual(50_000);

    // When it is sent
    const { response, body, operations } = await send(message);

    // Then Bedrock counted it once, then answered it; the size the pipeline reserved on is the count
    expect(response.statusCode).toBe(200);
    expect(operations).toEqual(['CountTokens', 'Converse']);
    expect(body.usage.inputTokens + body.usage.cacheReadInputTokens + body.usage.cacheWriteInputTokens).toBe(real);
    expect(body.inputTokenBound).toBe(real);
  });

  test('admits 20,000 repeated letters (1,250 tokens) under a 2,000-token limit, once refused as "about 5719 tokens"', async () => {
    // Given one long run of a letter: the estimate and the bound are far over the limit, the real count is not (a
    // longer run would do as well, but the simulator's tokenizer takes quadratic time on one long word)
    useConfig({ maxInputTokens: 2_000 });
    const message = 'a'.repeat(20_000);
    expect(realInputTokens(message)).toBeLessThan(2_000);

    const { response, operations } = await send(message);

    expect(response.statusCode).toBe(200);
    expect(operations).toEqual(['CountTokens', 'Converse']);
  });

  test('refuses an English prompt of 60,000 tokens without asking Bedrock, stating only what is certain', async () => {
    // Given a prompt whose lower bound is already over the limit
    const message = textOf('englishProse', 60_000, 60);

    const { response, body, operations } = await send(message);

    // Then it is refused before any call, and the size it states is a true "at least"
    expect(response.statusCode).toBe(413);
    expect(operations).toEqual([]);
    expect(body).toMatchObject({ error: 'PROMPT_TOO_LARGE', details: { measure: 'floor', maxInputTokens: 50_000 } });
    const stated = Number(/at least (\d+) tokens/.exec(body.message)?.[1]);
    expect(stated).toBe(body.details.floorInputTokens);
    expect(stated).toBeGreaterThan(50_000);
    expect(stated).toBeLessThanOrEqual(realInputTokens(message));
    expect(body.message).not.toMatch(/about/);
  });

  test("refuses a Russian prompt of 52,000 tokens on Bedrock's count, and says that count", async () => {
    const message = textOf('russian', 52_000, 52);
    const real = realInputTokens(message);

    const { response, body, operations } = await send(message);

    expect(response.statusCode).toBe(413);
    expect(operations).toEqual(['CountTokens']);
    expect(body).toMatchObject({ error: 'PROMPT_TOO_LARGE', details: { measure: 'count', countedInputTokens: real } });
    expect(body.message).toContain(`The prompt is ${real} tokens as Bedrock counts them`);
  });

  test("reserves on the counted size, so a tenant's token budget that holds the count but not the bound admits it", async () => {
    // Given a Russian prompt of 20,000 tokens (upper bound about 3x that) and a tenant budget of the count, the
    // 1,024-token output cap and 100 to spare
    const message = textOf('russian', 20_000, 20);
    const real = realInputTokens(message);
    useConfig({ guards: { store: 'container', usageLimits: [{ scope: 'tenant', window: 'day', maxTokens: real + 1_024 + 100 }] } });

    // When it is sent
    const { response, operations } = await send(message, 'tenant-budget');

    // Then the reservation fits and the call is made
    expect(response.statusCode).toBe(200);
    expect(operations).toEqual(['CountTokens', 'Converse']);
  });
});

describe('the prompt limit over a corpus near a 2,000-token limit', () => {
  const LIMIT = 2_000;

  test('refuses no prompt within the limit and admits none over it, in every kind of text', async () => {
    // Given prose in five languages, code, JSON and CJK, from far under to far over the limit
    useConfig({ maxInputTokens: LIMIT });
    const corpus = promptCorpus(LIMIT);

    // When each is sent
    const outcomes: Array<{ kind: string; share: number; real: number; status: number; counted: boolean; message?: string }> = [];
    for (const prompt of corpus) {
      const { response, body, operations } = await send(prompt.message);
      outcomes.push({
        kind: prompt.kind, share: prompt.share, real: prompt.realInputTokens, status: response.statusCode,
        counted: operations.includes('CountTokens'), ...(response.statusCode === 413 ? { message: body.message } : {}),
      });
    }

    // Then a prompt is admitted exactly when its real count is within the limit
    const wrong = outcomes.filter((o) => (o.real <= LIMIT) !== (o.status === 200));
    expect(wrong).toEqual([]);
    expect(outcomes.every((o) => o.status === 200 || o.status === 413)).toBe(true);
    // And a refusal never states a loose figure as the prompt's size
    for (const o of outcomes.filter((x) => x.status === 413)) {
      expect(o.message).not.toMatch(/about \d/);
      const atLeast = /at least (\d+) tokens/.exec(o.message!);
      if (atLeast) expect(Number(atLeast[1])).toBeLessThanOrEqual(o.real);
      else expect(o.message).toContain(`is ${o.real} tokens as Bedrock counts them`);
    }
    // And the bounds decided alone where they can: far under the limit nothing is counted, far over English is not
    expect(outcomes.filter((o) => o.share <= 0.3).every((o) => !o.counted)).toBe(true);
    expect(outcomes.filter((o) => o.kind === 'englishProse' && o.share >= 1.5).every((o) => !o.counted)).toBe(true);
  });
});
