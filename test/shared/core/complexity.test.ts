import { ComplexityRules, DEFAULT_COMPLEXITY_RULES, classifyComplexity } from '../../../shared/core';

const tierOf = (message: string) => classifyComplexity({ message }).tier;

describe('classifyComplexity', () => {
  describe('keeps short FAQ-like messages on the simple tier', () => {
    it.each([
      'What are your opening hours?',
      'Where is my order #12345?',
      'Hello',
      'How do I reset my password?',
      'Is the store open on Sunday?',
      'Can I return shoes I bought online to a shop?',
      '返品はできますか？',
    ])('%s', (message) => {
      expect(tierOf(message)).toBe('simple');
    });

    it('says why: a short question with no markers and no code', () => {
      expect(classifyComplexity({ message: 'What are your opening hours?' }).reasons).toEqual([
        'short FAQ-like question: 8 tokens <= simpleMaxTokens (150), no markers, no code',
      ]);
      expect(classifyComplexity({ message: 'Thanks, that helped.' }).reasons[0]).toMatch(/^short message: /);
    });
  });

  describe('sends analysis, comparison and writing requests to the medium tier', () => {
    it.each([
      'Compare the Basic and Pro plans for a team of five.',
      'Summarize the attached meeting notes in three bullet points.',
      'Can you explain how prompt caching is billed?',
      'What are the pros and cons of on-demand versus provisioned throughput?',
      'Analyze the sentiment of these customer reviews.',
      'Draft a polite reply to this complaint.',
    ])('%s', (message) => {
      expect(tierOf(message)).toBe('medium');
    });

    it('names the markers it found, in order of appearance', () => {
      const decision = classifyComplexity({ message: 'Please review this and compare it with the previous summary.' });
      expect(decision).toEqual({ tier: 'medium', reasons: ['analysis marker: "review", "compare", "summary"'] });
    });
  });

  describe('sends reasoning, design and diagnosis requests to the complex tier', () => {
    it.each([
      'Walk me through it step by step.',
      'Prove that the square root of 2 is irrational.',
      'What was the root cause of last night\'s outage, and how do we stop it happening again?',
      'Design a multi-region disaster recovery architecture for our payments API.',
      'What strategy should we adopt to cut our GenAI bill in half without losing quality?',
      'Discuss the trade-offs between fine-tuning and retrieval for our support bot.',
    ])('%s', (message) => {
      expect(tierOf(message)).toBe('complex');
    });

    it('lists every rule that fired', () => {
      const decision = classifyComplexity({ message: 'Analyze the logs STEP BY STEP and find the Root-Cause.' });
      expect(decision.tier).toBe('complex');
      expect(decision.reasons).toEqual(['reasoning marker: "step by step", "root cause"', 'analysis marker: "analyze"']);
    });
  });

  describe('matching', () => {
    it('is case-insensitive', () => {
      expect(tierOf('PROVE IT')).toBe('complex');
      expect(tierOf('CoMpArE these two offers')).toBe('medium');
    });

    it('matches markers at the start of words only, with any ending', () => {
      expect(tierOf('How can I improve my score?')).toBe('simple'); // not "prove"
      expect(tierOf('It was proven wrong, why?')).toBe('complex'); // "prove" + "n"
      expect(tierOf('We analyzed it yesterday.')).toBe('medium'); // "analyze" + "d"
    });

    it('treats hyphens, punctuation and line breaks as spaces', () => {
      expect(tierOf('list the trade offs')).toBe('complex');
      expect(tierOf('list the tradeoffs')).toBe('complex');
      expect(tierOf('think it through step-by-step')).toBe('complex');
      expect(tierOf('go step\nby   step')).toBe('complex');
    });

    it('treats curly quotes and dashes as separators', () => {
      expect(tierOf('“Compare” them—quickly')).toBe('medium');
    });
  });

  describe('code', () => {
    it('sends a fenced code block to the code tier', () => {
      const decision = classifyComplexity({ message: 'Does this work?\n```ts\nconst x: number = 1;\n```' });
      expect(decision).toEqual({ tier: 'medium', reasons: ['code: fenced code block'] });
    });

    it('recognises unfenced code by its syntax', () => {
      const decision = classifyComplexity({ message: 'Fix: if (a == b && c) { go(); }' });
      expect(decision).toEqual({ tier: 'medium', reasons: ['code: code syntax'] });
    });

    it('does not mistake a single arrow in prose for code', () => {
      expect(tierOf('Go to Settings -> Billing.')).toBe('simple');
    });

    it('uses the tier configured for code', () => {
      const rules: ComplexityRules = { ...DEFAULT_COMPLEXITY_RULES, codeTier: 'complex' };
      expect(classifyComplexity({ message: '```\nls -la\n```' }, rules).tier).toBe('complex');
    });
  });

  describe('length', () => {
    it('raises a long message to medium and a very long one to complex', () => {
      expect(classifyComplexity({ message: 'Hi', messageTokens: 151 })).toEqual({
        tier: 'medium',
        reasons: ['length: 151 tokens > simpleMaxTokens (150)'],
      });
      expect(classifyComplexity({ message: 'Hi', messageTokens: 4_000 })).toEqual({
        tier: 'complex',
        reasons: ['length: 4000 tokens >= complexMinTokens (4000)'],
      });
    });

    it('estimates the tokens when the caller does not give them', () => {
      const longQuestion = `${'Tell me about the weather in spring and autumn. '.repeat(20)}Thanks?`;
      expect(classifyComplexity({ message: longQuestion }).reasons[0]).toMatch(/^length: \d+ tokens > simpleMaxTokens/);
    });

    it('follows the thresholds of custom rules', () => {
      const rules: ComplexityRules = { ...DEFAULT_COMPLEXITY_RULES, simpleMaxTokens: 2, complexMinTokens: 5 };
      expect(classifyComplexity({ message: 'Hello there friend', messageTokens: 3 }, rules).tier).toBe('medium');
    });
  });

  describe('hint', () => {
    it('wins over every rule', () => {
      const decision = classifyComplexity({ message: 'Prove it step by step', hint: 'simple', messageTokens: 10_000 });
      expect(decision).toEqual({ tier: 'simple', reasons: ['hint: caller asked for the simple tier'] });
      expect(classifyComplexity({ message: 'Hi', hint: 'complex' }).tier).toBe('complex');
    });

    it('fails on a tier that does not exist', () => {
      expect(() => classifyComplexity({ message: 'Hi', hint: 'huge' as never })).toThrow(/hint must be one of simple, medium, complex/);
    });
  });

  describe('custom markers', () => {
    it('uses the markers of the rules given', () => {
      const rules: ComplexityRules = { ...DEFAULT_COMPLEXITY_RULES, complexMarkers: ['legal opinion'], mediumMarkers: ['haiku'] };
      expect(classifyComplexity({ message: 'I need a legal opinion.' }, rules).tier).toBe('complex');
      expect(classifyComplexity({ message: 'Write a haiku.' }, rules).tier).toBe('medium');
      expect(classifyComplexity({ message: 'Prove it.' }, rules).tier).toBe('simple');
    });

    it('fails on a marker with no letters or digits, and on inconsistent thresholds', () => {
      expect(() => classifyComplexity({ message: 'x' }, { ...DEFAULT_COMPLEXITY_RULES, mediumMarkers: ['--'] })).toThrow(
        /rules\.mediumMarkers contains a marker with no letters or digits: "--"/,
      );
      expect(() => classifyComplexity({ message: 'x' }, { ...DEFAULT_COMPLEXITY_RULES, complexMinTokens: 100 })).toThrow(
        /complexMinTokens must be an integer greater than simpleMaxTokens \(150\), got 100/,
      );
      expect(() => classifyComplexity({ message: 'x', messageTokens: -1 })).toThrow(/messageTokens must be a non-negative integer/);
    });
  });

  describe('adversarial input', () => {
    it('stays linear on adversarial input that would make a backtracking regex explode', () => {
      // Near-misses of multi-word markers ("step by step", "root cause") repeated: each character is read once.
      const adversarial = 'step by stem step by stem root caus '.repeat(10_000) + 'a'.repeat(100_000);
      // (Its speed is measured by `npm run bench`; here: it finishes and is not fooled by the near-misses.)
      const decision = classifyComplexity({ message: adversarial, messageTokens: 100 });
      expect(decision.tier).toBe('simple');
    });
  });

  it('returns frozen decisions', () => {
    const decision = classifyComplexity({ message: 'Hi' });
    expect(Object.isFrozen(decision)).toBe(true);
    expect(Object.isFrozen(decision.reasons)).toBe(true);
  });
});
