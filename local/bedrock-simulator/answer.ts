import { seedOf, seededRandom } from './random';
import { countTokens } from './tokenizer';

const VOCABULARY = [
  'the', 'cost', 'model', 'token', 'budget', 'cache', 'request', 'answer', 'latency', 'region', 'profile', 'usage',
  'prompt', 'system', 'value', 'result', 'simple', 'stable', 'careful', 'review', 'monthly', 'forecast', 'savings',
  'routing', 'quality', 'traffic', 'signal', 'metric', 'report', 'invoice', 'account', 'workload', 'pattern',
  'context', 'window', 'summary', 'insight', 'balance', 'limit', 'policy', 'guard', 'trace', 'event', 'queue',
  'batch', 'record', 'detail', 'option', 'choice', 'reason', 'plan', 'team', 'daily', 'peak', 'spend', 'price',
  'rate', 'input', 'output', 'share', 'trend', 'scale', 'alert', 'and', 'with', 'for', 'over', 'each', 'more',
];
// One-token words let the generator land exactly on its token target.
const SHORT_WORDS = VOCABULARY.filter((w) => countTokens(w) === 1);

/** Bounds of the simulated answer length in tokens. */
export const MIN_ANSWER_TOKENS = 40;
/** Upper bound of the simulated answer length in tokens. */
export const MAX_ANSWER_TOKENS = 400;

/**
 * The simulated model's answer to `prompt`: a few sentences of filler words, identical for identical
 * (model, prompt) pairs, whose length (40–400 tokens, exact under the simulator's tokenizer) also
 * depends only on them.
 */
export function generateAnswer(baseModelId: string, prompt: string): string {
  const random = seededRandom(seedOf('answer', baseModelId, prompt));
  const pick = (words: ReadonlyArray<string>): string => words[Math.floor(random() * words.length)];
  let remaining = MIN_ANSWER_TOKENS + Math.floor(random() * (MAX_ANSWER_TOKENS - MIN_ANSWER_TOKENS + 1));

  const sentences: string[] = [];
  // Invariant at the top of each sentence: remaining is 0 or at least 2 (one word plus the full stop).
  while (remaining > 0) {
    const words: string[] = [];
    const length = 6 + Math.floor(random() * 9);
    const addWord = (word: string): void => {
      words.push(word);
      remaining -= countTokens(word);
    };
    for (let i = 0; i < length && remaining > 1; i++) {
      const word = pick(VOCABULARY);
      addWord(countTokens(word) <= remaining - 1 ? word : pick(SHORT_WORDS));
    }
    // Never leave exactly one token for the next sentence: it could not hold a word and a full stop.
    if (remaining === 2) addWord(pick(SHORT_WORDS));
    remaining -= 1;
    const sentence = words.join(' ');
    sentences.push(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`);
  }
  return sentences.join(' ');
}
