/**
 * Rule-based complexity router: decides which model tier a request needs before any model is called.
 *
 * Why rules and not a classifier model: routing runs on every request, so it must cost nothing and take microseconds.
 * The rules are cheap signals that correlate with the need for a bigger model: length, code, and words that ask for
 * reasoning or analysis. Short FAQ-like questions stay on the cheap tier, where the article expects ~70% of traffic.
 *
 * Matching is case-insensitive, in one pass over the message, with an Aho-Corasick automaton (no regular expressions,
 * so no catastrophic backtracking whatever the input). A marker matches at the start of a word and may be followed by
 * more letters, so `prove` matches "proves" and "proven" but not "improve", and `analyze` matches "analyzed".
 * Punctuation and hyphens count as spaces: `trade-offs` matches "trade offs" and "trade-offs".
 */
import { MODEL_TIERS, type ModelTier } from './model-catalog';
import { estimateTokens } from './token-estimate';

/** Tunable thresholds and marker lists of {@link classifyComplexity}. */
export interface ComplexityRules {
  /** Messages of at most this many tokens, with no other signal, are `simple`. Longer ones are at least `medium`. */
  readonly simpleMaxTokens: number;
  /** Messages of at least this many tokens are `complex`. */
  readonly complexMinTokens: number;
  /** Words or phrases that ask for deep reasoning; any one of them makes the request `complex`. */
  readonly complexMarkers: ReadonlyArray<string>;
  /** Words or phrases that ask for analysis or writing; any one of them makes the request at least `medium`. */
  readonly mediumMarkers: ReadonlyArray<string>;
  /** Minimum tier of a message that contains code (a fenced block or code syntax). */
  readonly codeTier: ModelTier;
}

/** The router's defaults. Adjust with `{ ...DEFAULT_COMPLEXITY_RULES, simpleMaxTokens: 80 }`. */
export const DEFAULT_COMPLEXITY_RULES: ComplexityRules = Object.freeze({
  // ~100 English words: a question, a short instruction, a greeting.
  simpleMaxTokens: 150,
  // A pasted document or a long multi-part brief.
  complexMinTokens: 4_000,
  complexMarkers: Object.freeze([
    'step by step', 'think through', 'reason through', 'chain of thought', 'multi step',
    'prove', 'proof', 'derive', 'derivation',
    'root cause', 'diagnose', 'diagnosis', 'debug',
    'trade off', 'tradeoff',
    'design', 'architect', 'strategy', 'strategies', 'strategic',
    'in depth', 'comprehensive', 'rigorous', 'threat model', 'forecast',
  ]),
  mediumMarkers: Object.freeze([
    'analyze', 'analyse', 'analyzing', 'analysing', 'analysis',
    'compare', 'comparison', 'contrast', 'difference between', 'pros and cons',
    'explain', 'why does', 'why is', 'why do', 'evaluate', 'assess', 'review', 'critique',
    'summarize', 'summarise', 'summary', 'rewrite', 'draft', 'outline', 'recommend', 'implications',
  ]),
  codeTier: 'medium',
});

/** The tier chosen and, in order, every rule that fired, for logs and for explaining a routing decision. */
export interface ComplexityDecision {
  readonly tier: ModelTier;
  readonly reasons: ReadonlyArray<string>;
}

/**
 * Picks a tier for a request.
 *
 * An explicit `hint` wins. Otherwise every rule that fires raises the tier, and the highest wins:
 * length at or above `complexMinTokens` → complex; above `simpleMaxTokens` → medium; any complex marker → complex;
 * any medium marker → medium; code → `codeTier`. When nothing fires the message is short and plain: simple.
 *
 * @param input.message the user's message (not the system prompt, which is the same for every request).
 * @param input.hint a tier chosen by the caller, e.g. from a request header already validated.
 * @param input.messageTokens the message's token count when known. @default estimateTokens(message)
 * @throws TypeError on an invalid hint or token count; RangeError on inconsistent rules.
 */
export function classifyComplexity(
  input: { readonly message: string; readonly hint?: ModelTier; readonly messageTokens?: number },
  rules: ComplexityRules = DEFAULT_COMPLEXITY_RULES,
): ComplexityDecision {
  const { message, hint, messageTokens } = input;
  if (typeof message !== 'string') {
    throw new TypeError(`message must be a string, got ${typeof message}`);
  }
  if (hint !== undefined) {
    if (!MODEL_TIERS.includes(hint)) {
      throw new TypeError(`hint must be one of ${MODEL_TIERS.join(', ')}, got ${JSON.stringify(hint)}`);
    }
    return decision(hint, [`hint: caller asked for the ${hint} tier`]);
  }
  validateRules(rules);
  if (messageTokens !== undefined && (!Number.isSafeInteger(messageTokens) || messageTokens < 0)) {
    throw new TypeError(`messageTokens must be a non-negative integer, got ${String(messageTokens)}`);
  }
  const tokens = messageTokens ?? estimateTokens(message);
  const signals = scanMessage(message, compiledMarkers(rules));

  let rank = 0;
  const reasons: string[] = [];
  const raise = (tier: ModelTier, reason: string): void => {
    rank = Math.max(rank, MODEL_TIERS.indexOf(tier));
    reasons.push(reason);
  };

  if (tokens >= rules.complexMinTokens) {
    raise('complex', `length: ${tokens} tokens >= complexMinTokens (${rules.complexMinTokens})`);
  } else if (tokens > rules.simpleMaxTokens) {
    raise('medium', `length: ${tokens} tokens > simpleMaxTokens (${rules.simpleMaxTokens})`);
  }
  if (signals.complex.length > 0) {
    raise('complex', `reasoning marker: ${quoteList(signals.complex)}`);
  }
  if (signals.medium.length > 0) {
    raise('medium', `analysis marker: ${quoteList(signals.medium)}`);
  }
  if (signals.fence) {
    raise(rules.codeTier, 'code: fenced code block');
  } else if (signals.codeSyntax) {
    raise(rules.codeTier, 'code: code syntax');
  }
  if (reasons.length === 0) {
    reasons.push(
      signals.question
        ? `short FAQ-like question: ${tokens} tokens <= simpleMaxTokens (${rules.simpleMaxTokens}), no markers, no code`
        : `short message: ${tokens} tokens <= simpleMaxTokens (${rules.simpleMaxTokens}), no markers, no code`,
    );
  }
  return decision(MODEL_TIERS[rank], reasons);
}

function decision(tier: ModelTier, reasons: string[]): ComplexityDecision {
  return Object.freeze({ tier, reasons: Object.freeze(reasons) });
}

function quoteList(markers: ReadonlyArray<string>): string {
  return markers.map((m) => `"${m}"`).join(', ');
}

function validateRules(rules: ComplexityRules): void {
  const { simpleMaxTokens, complexMinTokens, codeTier } = rules;
  if (!Number.isSafeInteger(simpleMaxTokens) || simpleMaxTokens < 0) {
    throw new RangeError(`rules.simpleMaxTokens must be a non-negative integer, got ${String(simpleMaxTokens)}`);
  }
  if (!Number.isSafeInteger(complexMinTokens) || complexMinTokens <= simpleMaxTokens) {
    throw new RangeError(
      `rules.complexMinTokens must be an integer greater than simpleMaxTokens (${simpleMaxTokens}), got ${String(complexMinTokens)}`,
    );
  }
  if (!MODEL_TIERS.includes(codeTier)) {
    throw new RangeError(`rules.codeTier must be one of ${MODEL_TIERS.join(', ')}, got ${JSON.stringify(codeTier)}`);
  }
}

// --- Marker automaton --------------------------------------------------------------------------------------------

// The automaton reads a 38-symbol alphabet: a-z (0-25), 0-9 (26-35), separator (36) and "other letter" (37).
const SYMBOLS = 38;
const SEPARATOR = 36;
/** Any non-ASCII letter (é, 日, ...): it separates nothing and matches no marker character. */
const OTHER_LETTER = 37;

const ASCII_SYMBOL: Uint8Array = (() => {
  const table = new Uint8Array(128).fill(SEPARATOR); // ASCII punctuation, whitespace and controls separate words
  for (let c = 97; c <= 122; c++) table[c] = c - 97; // a-z
  for (let c = 65; c <= 90; c++) table[c] = c - 65; // A-Z, case-insensitive
  for (let c = 48; c <= 57; c++) table[c] = c - 48 + 26; // 0-9
  return table;
})();

/** Maps a UTF-16 code unit to its symbol. */
function symbolOf(c: number): number {
  if (c < 128) return ASCII_SYMBOL[c];
  // Non-ASCII separators: no-break space, general punctuation (curly quotes, dashes), CJK and full-width punctuation.
  if (c === 0xa0 || (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff01 && c <= 0xff0f)) {
    return SEPARATOR;
  }
  return OTHER_LETTER;
}

/** A marker's symbols, led by a separator so it can only match at the start of a word; repeated separators collapse. */
function markerSymbols(marker: string, list: string): number[] {
  if (typeof marker !== 'string') {
    throw new TypeError(`rules.${list} must contain strings, got ${typeof marker}`);
  }
  const symbols = [SEPARATOR];
  for (let i = 0; i < marker.length; i++) {
    const symbol = symbolOf(marker.charCodeAt(i));
    if (symbol === SEPARATOR && symbols[symbols.length - 1] === SEPARATOR) continue;
    symbols.push(symbol);
  }
  if (symbols[symbols.length - 1] === SEPARATOR) symbols.pop();
  if (symbols.length <= 1) {
    throw new RangeError(`rules.${list} contains a marker with no letters or digits: ${JSON.stringify(marker)}`);
  }
  return symbols;
}

const COMPLEX = 0;
const MEDIUM = 1;

/** Aho-Corasick automaton compiled to a dense transition table: one array read per character. */
interface Automaton {
  /** delta[state * SYMBOLS + symbol] = next state (failure transitions already folded in). */
  readonly delta: Int32Array;
  /** Pattern indexes recognised on entering each state (outputs of the failure chain merged in). */
  readonly output: ReadonlyArray<ReadonlyArray<number>>;
  /** 1 where `output` is not empty: a typed-array test keeps the hot loop monomorphic. */
  readonly accepting: Uint8Array;
  /** Per pattern: category and the marker as written in the rules, for the reasons list. */
  readonly patterns: ReadonlyArray<{ readonly category: number; readonly marker: string }>;
}

/** Automata per rules object: built once, reused by every request (rules objects are long-lived). */
const automata = new WeakMap<ComplexityRules, Automaton>();

function compiledMarkers(rules: ComplexityRules): Automaton {
  let automaton = automata.get(rules);
  if (automaton === undefined) {
    if (!Array.isArray(rules.complexMarkers) || !Array.isArray(rules.mediumMarkers)) {
      throw new TypeError('rules.complexMarkers and rules.mediumMarkers must be arrays of strings');
    }
    automaton = buildAutomaton([
      ...rules.complexMarkers.map((marker) => ({ category: COMPLEX, marker, symbols: markerSymbols(marker, 'complexMarkers') })),
      ...rules.mediumMarkers.map((marker) => ({ category: MEDIUM, marker, symbols: markerSymbols(marker, 'mediumMarkers') })),
    ]);
    automata.set(rules, automaton);
  }
  return automaton;
}

function buildAutomaton(entries: ReadonlyArray<{ category: number; marker: string; symbols: number[] }>): Automaton {
  // Trie.
  const children: Int32Array[] = [new Int32Array(SYMBOLS).fill(-1)];
  const outputs: number[][] = [[]];
  const patterns: { category: number; marker: string }[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = entry.symbols.join(',');
    if (seen.has(key)) continue; // "trade-off" and "trade off" are one pattern; the first category listed wins
    seen.add(key);
    const index = patterns.length;
    patterns.push({ category: entry.category, marker: entry.marker });
    let state = 0;
    for (const symbol of entry.symbols) {
      if (children[state][symbol] < 0) {
        children[state][symbol] = children.length;
        children.push(new Int32Array(SYMBOLS).fill(-1));
        outputs.push([]);
      }
      state = children[state][symbol];
    }
    outputs[state].push(index);
  }
  // Breadth-first: failure links folded into a complete transition table.
  const states = children.length;
  const delta = new Int32Array(states * SYMBOLS);
  const fail = new Int32Array(states);
  const queue: number[] = [];
  for (let symbol = 0; symbol < SYMBOLS; symbol++) {
    const child = children[0][symbol];
    if (child >= 0) {
      delta[symbol] = child;
      fail[child] = 0;
      queue.push(child);
    } else {
      delta[symbol] = 0;
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head];
    outputs[state].push(...outputs[fail[state]]);
    for (let symbol = 0; symbol < SYMBOLS; symbol++) {
      const child = children[state][symbol];
      const viaFail = delta[fail[state] * SYMBOLS + symbol];
      if (child >= 0) {
        delta[state * SYMBOLS + symbol] = child;
        fail[child] = viaFail;
        queue.push(child);
      } else {
        delta[state * SYMBOLS + symbol] = viaFail;
      }
    }
  }
  const accepting = new Uint8Array(states);
  for (let state = 0; state < states; state++) accepting[state] = outputs[state].length > 0 ? 1 : 0;
  return { delta, output: outputs, accepting, patterns };
}

interface MessageSignals {
  readonly complex: ReadonlyArray<string>;
  readonly medium: ReadonlyArray<string>;
  readonly fence: boolean;
  readonly codeSyntax: boolean;
  readonly question: boolean;
}

/**
 * Character pairs that are rare in prose and common in mainstream languages: `=>` `->` `);` `){` `):` `</` `::`
 * `==` `!=` `+=` `-=` `&&` `||`. Two of them in a message count as code.
 */
function isCodePair(prev: number, c: number): boolean {
  switch (c) {
    case 62: // >
      return prev === 61 || prev === 45; // => ->
    case 59: // ;
      return prev === 41; // );
    case 123: // {
      return prev === 41; // ){
    case 58: // :
      return prev === 41 || prev === 58; // ): ::
    case 47: // /
      return prev === 60; // </
    case 61: // =
      return prev === 61 || prev === 33 || prev === 43 || prev === 45; // == != += -=
    case 38: // &
      return prev === 38; // &&
    case 124: // |
      return prev === 124; // ||
    default:
      return false;
  }
}

/** One pass: markers through the automaton, code signals and the last visible character on the raw text. */
function scanMessage(message: string, automaton: Automaton): MessageSignals {
  const { delta, output, accepting, patterns } = automaton;
  const matched = new Uint8Array(patterns.length);
  const order: number[] = [];
  let state = delta[SEPARATOR]; // a virtual leading separator: the message starts a word
  let lastSymbol = SEPARATOR;
  let backticks = 0;
  let fence = false;
  let codePairs = 0;
  let prev = 32;
  let lastVisible = 0;

  for (let i = 0; i < message.length; i++) {
    const raw = message.charCodeAt(i);

    // Code signals on the raw text.
    if (raw === 96) {
      if (++backticks >= 3) fence = true;
    } else {
      backticks = 0;
    }
    if (isCodePair(prev, raw)) codePairs++;
    prev = raw;
    if (raw > 32 && raw !== 0xa0 && raw !== 0x3000) lastVisible = raw;

    // Markers on the normalized text; repeated separators collapse into one.
    const symbol = raw < 128 ? ASCII_SYMBOL[raw] : symbolOf(raw);
    if (symbol === SEPARATOR && lastSymbol === SEPARATOR) continue;
    lastSymbol = symbol;
    state = delta[state * SYMBOLS + symbol];
    if (accepting[state] !== 0) {
      for (const index of output[state]) {
        if (matched[index] === 0) {
          matched[index] = 1;
          order.push(index);
        }
      }
    }
  }

  const complex: string[] = [];
  const medium: string[] = [];
  for (const index of order) {
    (patterns[index].category === COMPLEX ? complex : medium).push(patterns[index].marker);
  }
  return {
    complex,
    medium,
    fence,
    codeSyntax: codePairs >= 2,
    question: lastVisible === 63 || lastVisible === 0xff1f, // ? or full-width ？
  };
}
