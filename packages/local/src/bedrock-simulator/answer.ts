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
const capitalized = (word: string): string => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;

// Each word is costed in the form it takes in the answer: the tokenizer cuts text into pre-tokens (a word with its
// leading space, a full stop) and counts each apart, so the sum of the forms' counts is exactly the answer's count.
const FORM_TOKENS = new Map<string, number>();
function formTokens(form: string): number {
  let tokens = FORM_TOKENS.get(form);
  if (tokens === undefined) {
    tokens = countTokens(form);
    FORM_TOKENS.set(form, tokens);
  }
  return tokens;
}

// One-token words, in every form a word takes (first of the answer, first of a sentence, inside one), let the
// generator land exactly on its token target.
const SHORT_WORDS = VOCABULARY.filter((w) => [capitalized(w), ` ${capitalized(w)}`, ` ${w}`].every((form) => formTokens(form) === 1));

/** Bounds of the simulated answer length in tokens. */
export const MIN_ANSWER_TOKENS = 40;
/** Upper bound of the simulated answer length in tokens. */
export const MAX_ANSWER_TOKENS = 400;
/** Bounds of the answer length when the prompt asks for detail: models write long answers unless capped. */
export const MIN_DETAILED_ANSWER_TOKENS = 800;
export const MAX_DETAILED_ANSWER_TOKENS = 2500;
// Requests for explanations and analysis get long answers, as they do from real models: what output caps are for.
const ASKS_FOR_DETAIL = /\b(explain|detail(ed)?|analy[sz]e|analysis|step by step|compare|walk me through|in depth)\b/i;

/**
 * The simulated model's answer to `prompt`: a few sentences of filler words, identical for identical
 * (model, prompt) pairs, whose length (40–400 tokens, or 800–2,500 when the prompt asks to explain, compare or
 * analyse in detail; exact under the simulator's tokenizer) also depends only on them.
 */
export function generateAnswer(baseModelId: string, prompt: string): string {
  const random = seededRandom(seedOf('answer', baseModelId, prompt));
  const pick = (words: ReadonlyArray<string>): string => words[Math.floor(random() * words.length)];
  const [min, max] = ASKS_FOR_DETAIL.test(prompt)
    ? [MIN_DETAILED_ANSWER_TOKENS, MAX_DETAILED_ANSWER_TOKENS]
    : [MIN_ANSWER_TOKENS, MAX_ANSWER_TOKENS];
  let remaining = min + Math.floor(random() * (max - min + 1));

  const sentences: string[] = [];
  // Invariant at the top of each sentence: remaining is 0 or at least 2 (one word plus the full stop).
  while (remaining > 0) {
    const words: string[] = [];
    const length = 6 + Math.floor(random() * 9);
    const lead = sentences.length > 0 ? ' ' : '';
    const cost = (word: string): number => formTokens(words.length === 0 ? lead + capitalized(word) : ` ${word}`);
    const addWord = (word: string): void => {
      remaining -= cost(word);
      words.push(word);
    };
    for (let i = 0; i < length && remaining > 1; i++) {
      const word = pick(VOCABULARY);
      addWord(cost(word) <= remaining - 1 ? word : pick(SHORT_WORDS));
    }
    // Never leave exactly one token for the next sentence: it could not hold a word and a full stop.
    if (remaining === 2) addWord(pick(SHORT_WORDS));
    remaining -= 1; // the full stop, a pre-token of its own
    sentences.push(`${capitalized(words.join(' '))}.`);
  }
  return sentences.join(' ');
}
