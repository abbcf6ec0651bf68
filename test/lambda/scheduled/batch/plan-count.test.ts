/**
 * The batch planner judges a record's prompt as the on-demand pipeline does: within on the upper bound, refused on
 * the lower bound, and between the two counted by Bedrock's CountTokens (the simulator, over the real SDK) before the
 * batch is written. A record is never refused while its real count is within the limit, and one that cannot be
 * counted stays out (a batch record cannot be withdrawn).
 */
import { TEXT_KINDS } from '../../../../bench/text-samples';
import { CountRecordTokens, planBatch } from '../../../../lambda/scheduled/batch/plan';
import { floorTokens } from '../../../../shared/core';
import { countedTokens, countTokensFor } from '../../../../lambda/pipeline/stages/count-tokens';
import { BedrockSimulator, startBedrockSimulator, truncateToTokens } from '../../../../packages/local/src/bedrock-simulator';
import { seededRandom } from '../../../../packages/local/src/bedrock-simulator/random';
import { realInputTokens } from '../../../fixtures/prompt-corpus';
import { simulatorClient } from '../../pipeline/support';

const MODEL = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const INSTRUCTIONS = 'Summarise the record in two sentences.';
const LIMITS = { maxInputTokens: 2_000, maxOutputTokens: 256 };

let sim: BedrockSimulator;
let count: CountRecordTokens;

beforeAll(async () => {
  sim = await startBedrockSimulator();
  const bedrock = simulatorClient(sim);
  count = async (system, text) => countedTokens(await countTokensFor(bedrock, MODEL, { system: [{ text: system }], messages: [{ role: 'user', content: [{ text }] }] }));
});

afterAll(async () => sim?.close());

beforeEach(() => sim.reset());

/** A record of a kind, cut to `tokens` tokens of the simulator's tokenizer. */
function record(name: string, kind: string, tokens: number) {
  return { key: `records/${name}`, name, text: truncateToTokens(TEXT_KINDS[kind](seededRandom(tokens), tokens * 6), tokens).text };
}

describe('batch planning near the limit', () => {
  test('counts the records between the bounds and carries those within the limit, reserved on their count', async () => {
    // Given Russian records under and over a 2,000-token limit: their upper bounds are all over it, their floors not
    const under = record('under', 'russian', 1_900);
    const over = record('over', 'russian', 2_050);
    const realUnder = realInputTokens(under.text, INSTRUCTIONS);
    const realOver = realInputTokens(over.text, INSTRUCTIONS);
    expect(realUnder).toBeLessThanOrEqual(2_000);
    expect(realOver).toBeGreaterThan(2_000);

    // When the day is planned
    const plan = await planBatch([under, over], INSTRUCTIONS, LIMITS, 'digest', count);

    // Then the one within the limit is carried with its count, the other refused with its count, after two counts
    expect(plan.accepted.map((r) => [r.name, r.inputTokenBound])).toEqual([['under', realUnder]]);
    expect(plan.rejected.map((r) => [r.record.name, r.code])).toEqual([['over', 'PROMPT_TOO_LARGE']]);
    expect(plan.rejected[0].reason).toContain(`The prompt is ${realOver} tokens as Bedrock counts them`);
    expect(sim.calls.map((c) => c.operation)).toEqual(['CountTokens', 'CountTokens']);
  });

  test('refuses a record whose lower bound is over the limit without counting it, stating the bound as "at least"', async () => {
    const huge = record('huge', 'englishProse', 3_000);
    expect(floorTokens(huge.text)).toBeGreaterThan(2_000);

    const plan = await planBatch([huge], INSTRUCTIONS, LIMITS, 'digest', count);

    expect(plan.rejected.map((r) => r.code)).toEqual(['PROMPT_TOO_LARGE']);
    expect(plan.rejected[0].reason).toMatch(/^The prompt is at least \d+ tokens; feature 'digest' accepts at most 2000\./);
    expect(sim.calls).toEqual([]);
  });

  test.each([
    ['there is no counter', undefined],
    ['the counter cannot say', (async () => undefined) as CountRecordTokens],
    ['the counter throws', (async () => { throw new Error('socket hang up'); }) as CountRecordTokens],
  ])('refuses a record between the bounds as unconfirmed when %s, without stating a size', async (_, counter) => {
    const plan = await planBatch([record('under', 'russian', 1_900)], INSTRUCTIONS, LIMITS, 'digest', counter);

    expect(plan.accepted).toEqual([]);
    expect(plan.rejected[0].reason).toContain('could not be confirmed');
    expect(plan.rejected[0].reason).toContain("feature 'digest' accepts at most 2000 tokens");
    expect(plan.rejected[0].reason.replace('2000', '')).not.toMatch(/about|\d{3,}/);
  });

  test('carries a record whose upper bound is within the limit without counting it', async () => {
    const small = record('small', 'englishProse', 300);

    const plan = await planBatch([small], INSTRUCTIONS, LIMITS, 'digest', count);

    expect(plan.accepted.map((r) => r.name)).toEqual(['small']);
    expect(sim.calls).toEqual([]);
  });
});
