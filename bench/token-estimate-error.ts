import { getTokenizer } from '@anthropic-ai/tokenizer';
import { boundTokens, estimateTokens } from '../shared/core';
import { seededRandom } from '../packages/local/src/bedrock-simulator/random';
import { samplesOf, TEXT_KINDS } from './text-samples';
import { percentile, round } from './stats';

const SAMPLES_PER_KIND = 200;
const MAX_SAMPLE_CHARS = 4_000;

/**
 * How the runtime's token figures compare with the public Claude tokenizer (`@anthropic-ai/tokenizer`), per kind of
 * text: the bound over the real count (must be at least 1.0 on every sample) and the central estimate over it (1.0
 * is unbiased), each as min / median / max over seeded samples of 1 to 4,000 characters. Also the time to bound a
 * 32K-character prompt, p50.
 */
export function measureTokenEstimateError() {
  const tokenizer = getTokenizer();
  try {
    const real = (text: string) => tokenizer.encode(text.normalize('NFKC'), 'all').length;
    const kinds: Record<string, unknown> = {};
    let boundHeldEverywhere = true;
    for (const [i, kind] of Object.keys(TEXT_KINDS).entries()) {
      const bound: number[] = [];
      const estimate: number[] = [];
      for (const text of samplesOf(kind, SAMPLES_PER_KIND, MAX_SAMPLE_CHARS, 1_000 + i)) {
        const count = real(text);
        if (count === 0) continue;
        bound.push(boundTokens(text) / count);
        estimate.push(estimateTokens(text) / count);
      }
      boundHeldEverywhere &&= Math.min(...bound) >= 1;
      kinds[kind] = { samples: bound.length, boundOverReal: spread(bound), estimateOverReal: spread(estimate) };
    }
    return {
      reference: '@anthropic-ai/tokenizer (public Claude tokenizer)',
      boundHeldEverywhere,
      boundMs32kChars: boundTime(),
      kinds,
    };
  } finally {
    tokenizer.free();
  }
}

function spread(ratios: number[]) {
  return { min: round(Math.min(...ratios), 2), median: round(percentile(ratios, 50), 2), max: round(Math.max(...ratios), 2) };
}

/** p50 of 200 timed bounds, per kind that prompts are made of. */
function boundTime() {
  const out: Record<string, number> = {};
  for (const kind of ['englishProse', 'code', 'commonCjk', 'mixture']) {
    const text = TEXT_KINDS[kind](seededRandom(32), 32_000).slice(0, 32_000);
    for (let i = 0; i < 200; i++) boundTokens(text);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = process.hrtime.bigint();
      boundTokens(text);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    out[kind] = round(percentile(times, 50), 3);
  }
  return out;
}
