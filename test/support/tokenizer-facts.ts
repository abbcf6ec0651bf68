import { getTokenizer } from '@anthropic-ai/tokenizer';
import claude from '@anthropic-ai/tokenizer/claude.json';

/** What the token bound needs to know about the public Claude tokenizer's vocabulary. */
export interface TokenizerFacts {
  /** 8,192 bytes: bit `a * 256 + b` is set when the byte pair `a b` is a token. */
  readonly bytePairs: Uint8Array;
  /** Tokens made of ASCII letters (2 or more) with an optional leading space, lowest rank (most frequent) first. */
  readonly wordTokens: ReadonlyArray<string>;
  /** Every token's bytes as a latin1 string, for membership checks. */
  readonly vocabulary: ReadonlySet<string>;
}

const WORD = /^ ?[A-Za-z]{2,}$/;

/**
 * Reads the vocabulary once through the tokenizer itself (ranks are token ids, so id order is merge order). Word
 * tokens without a leading space are kept only when their spaced form is a token too: a bare fragment such as `ing`
 * is rarely a whole pre-token, and would only grow the list.
 */
export function readTokenizerFacts(): TokenizerFacts {
  const tokenizer = getTokenizer();
  try {
    const vocabulary = new Set<string>();
    const ordered: string[] = [];
    // Ids below the first ordinary token are the special tokens. A failed decode inside the WASM module leaves it
    // unusable, so the loop stays within the declared vocabulary instead of probing for its end.
    const first = Object.keys(claude.special_tokens).length;
    for (let id = first; id < claude.explicit_n_vocab; id++) {
      const text = Buffer.from(tokenizer.decode_single_token_bytes(id)).toString('latin1');
      vocabulary.add(text);
      ordered.push(text);
    }
    const bytePairs = new Uint8Array(8192);
    for (const token of vocabulary) {
      if (token.length !== 2) continue;
      const bit = token.charCodeAt(0) * 256 + token.charCodeAt(1);
      bytePairs[bit >> 3] |= 1 << (bit & 7);
    }
    const wordTokens = ordered.filter((t) => WORD.test(t) && (t.startsWith(' ') || vocabulary.has(` ${t}`)));
    return { bytePairs, wordTokens, vocabulary };
  } finally {
    tokenizer.free();
  }
}
