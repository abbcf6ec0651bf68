/**
 * Token estimates against published tokenizer statistics.
 *
 * No tokenizer is available to the test (none ships in the bundle, by design), so each sample is checked against the
 * band real byte-pair tokenizers are known to fall in, and the estimate must land on the safe side of it:
 *
 * | kind      | real tokenizers (chars/token)          | our rate | estimate vs. real      |
 * |-----------|----------------------------------------|----------|------------------------|
 * | prose     | ~4.0-4.5 (English, ~1.3 tokens/word)   | 3.5      | +14% to +29% over      |
 * | code      | ~3.0-3.5 (TypeScript, indented)        | 2.75     | +9% to +27% over       |
 * | json      | ~2.5-3.2                               | 2.5      | +0% to +28% over       |
 * | non-latin | ~1.0-1.5 (Japanese/Chinese)            | 1.0      | -20% (rare kanji) to +50% |
 *
 * Measured on the samples below (estimate, then what a tokenizer at the band's ends would give):
 * - prose: 646 chars, 106 words → 185 tokens; 144-162 at 4.5-4.0 chars/token (+14% to +29%), 138 at 1.3 tokens/word.
 * - TypeScript: 731 chars → 266 tokens; 209-244 at 3.5-3.0 chars/token (+9% to +27%).
 * - JSON (compact Converse response): 379 chars → 152 tokens; 118-152 at 3.2-2.5 chars/token (+0% to +28%).
 * - Japanese: 104 chars → 104 tokens; 69-104 at 1.5-1.0 chars/token (+0% to +50%); Chinese: 73 → 73.
 * - French (accents charged at the non-Latin rate): 218 chars → 73 tokens, 2.99 chars/token.
 */
import { CHARS_PER_TOKEN, detectContentKind, estimateTokens } from '../../../shared/core';

const PROSE =
  'Generative AI charges per token, so two identical API calls can cost very different amounts. A short ' +
  'request to summarize a document might cost one cent, while a request to analyze the same document and ' +
  'recommend next steps costs several times more because the model writes a longer answer. System prompts, ' +
  'conversation history and retrieved passages are sent with every request, even though the user never sees ' +
  'them, which is how a ten-word question becomes a five-thousand-token call. Teams that only watch their ' +
  'monthly bill notice this weeks too late; tagging each workflow and recording the tokens of every request ' +
  'shows it on the first day.';

const TYPESCRIPT = `import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';

const client = new BedrockRuntimeClient({});

export async function ask(question: string, modelId: string): Promise<{ text: string; tokens: number }> {
  const response = await client.send(
    new ConverseCommand({
      modelId,
      messages: [{ role: 'user', content: [{ text: question }] }],
      inferenceConfig: { maxTokens: 512, temperature: 0.2 },
    }),
  );
  const text = response.output?.message?.content?.[0]?.text ?? '';
  const tokens = (response.usage?.inputTokens ?? 0) + (response.usage?.outputTokens ?? 0);
  if (tokens > 10_000) {
    console.warn(\`large request: \${tokens} tokens\`);
  }
  return { text, tokens };
}
`;

const JSON_DOCUMENT = JSON.stringify({
  output: { message: { role: 'assistant', content: [{ text: 'Hello! How can I assist you today?' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 6708, outputTokens: 8, totalTokens: 6716, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  metrics: { latencyMs: 412 },
  tags: { Environment: 'production', Application: 'customer-chatbot', Feature: 'document-qa', Team: 'support' },
});

const JAPANESE =
  '生成AIのコストはトークン単位で課金されるため、従来のクラウド運用とは異なる管理が必要です。' +
  'システムプロンプトや会話履歴、検索で取得した文書は、ユーザーには見えませんが、毎回の入力トークンとして送信されます。';

const CHINESE =
  '生成式人工智能按令牌计费，因此需要与传统云计算不同的成本管理方式。系统提示、对话历史和检索到的文档虽然用户看不到，' +
  '但每次请求都会作为输入令牌发送。';

const FRENCH =
  "Les coûts de l'IA générative dépendent du nombre de jetons traités : l'invite système, l'historique de la " +
  'conversation et les documents récupérés sont envoyés à chaque requête, même si l’utilisateur ne les voit jamais.';

/** Checks that the estimate lies within [chars / optimistic rate, chars / pessimistic rate]. */
function expectCharsPerToken(text: string, estimate: number, atLeast: number, atMost: number): void {
  const charsPerToken = text.length / estimate;
  expect(charsPerToken).toBeGreaterThanOrEqual(atLeast);
  expect(charsPerToken).toBeLessThanOrEqual(atMost);
}

describe('detectContentKind', () => {
  it.each([
    ['an English paragraph', PROSE, 'prose'],
    ['French prose with accents', FRENCH, 'prose'],
    ['TypeScript code', TYPESCRIPT, 'code'],
    ['a compact JSON document', JSON_DOCUMENT, 'json'],
    ['a pretty-printed JSON document', JSON.stringify(JSON.parse(JSON_DOCUMENT), null, 2), 'json'],
    ['a JSON array', '[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]', 'json'],
    ['Japanese', JAPANESE, 'non-latin'],
    ['Chinese', CHINESE, 'non-latin'],
    ['Russian', 'Стоимость генеративного ИИ зависит от количества токенов в каждом запросе.', 'non-latin'],
    ['prose that happens to start and end with brackets', `[Draft] ${PROSE} [end]`, 'prose'],
    ['the empty string', '', 'prose'],
  ])('detects %s', (_name, text, kind) => {
    expect(detectContentKind(text)).toBe(kind);
  });
});

describe('estimateTokens', () => {
  it('estimates English prose at ~3.5 characters per token, above the ~1.3 tokens per word of real tokenizers', () => {
    const estimate = estimateTokens(PROSE);
    const words = PROSE.split(/\s+/).length;
    expectCharsPerToken(PROSE, estimate, 3.2, 3.6);
    expect(estimate).toBeGreaterThanOrEqual(Math.ceil(words * 1.3)); // not under a typical tokenizer
    expect(estimate).toBeLessThanOrEqual(Math.ceil(words * 2)); // not wildly over either
  });

  it('estimates TypeScript at ~2.75 characters per token, under the ~3-3.5 of real tokenizers', () => {
    expectCharsPerToken(TYPESCRIPT, estimateTokens(TYPESCRIPT), 2.5, 3.0);
  });

  it('estimates JSON at ~2.5 characters per token', () => {
    expectCharsPerToken(JSON_DOCUMENT, estimateTokens(JSON_DOCUMENT), 2.3, 2.6);
  });

  it('estimates Japanese and Chinese at about one token per character', () => {
    expect(estimateTokens(JAPANESE)).toBe(JAPANESE.length);
    expect(estimateTokens(CHINESE)).toBe(CHINESE.length);
  });

  it('charges non-ASCII characters at the non-Latin rate inside Latin text', () => {
    const mixed = 'Please translate: 生成AIのコスト';
    const ascii = 'Please translate: AI'.length; // 20 ASCII characters and 6 others (生成, のコスト)
    expect(detectContentKind(mixed)).toBe('prose'); // 6 of 26 code units are non-ASCII: under the 30% threshold
    expect(estimateTokens(mixed)).toBe(Math.ceil(ascii / CHARS_PER_TOKEN.prose + 6)); // 5.7 + 6 → 12
  });

  it('counts an emoji (two UTF-16 code units) as two tokens', () => {
    expect(estimateTokens('👍')).toBe(2);
  });

  it('uses the rate of an explicit kind instead of detecting one', () => {
    const text = 'a'.repeat(100);
    expect(estimateTokens(text)).toBe(29); // prose: 100 / 3.5 = 28.6
    expect(estimateTokens(text, 'code')).toBe(37); // 100 / 2.75 = 36.4
    expect(estimateTokens(text, 'json')).toBe(40); // 100 / 2.5
    expect(estimateTokens(text, 'non-latin')).toBe(100);
  });

  it('equals the estimate at the detected kind', () => {
    for (const text of [PROSE, TYPESCRIPT, JSON_DOCUMENT, JAPANESE]) {
      expect(estimateTokens(text)).toBe(estimateTokens(text, detectContentKind(text)));
    }
  });

  it('gives 0 for the empty string and at least 1 for any other text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens(' ')).toBe(1);
  });

  it('does not round an exact quotient up an extra token', () => {
    expect(estimateTokens('abcdefg')).toBe(2); // 7 / 3.5 = 2
  });

  it('grows monotonically with the text, so a longer prompt never looks cheaper', () => {
    let previous = 0;
    for (let n = 1; n <= PROSE.length; n += 7) {
      const estimate = estimateTokens(PROSE.slice(0, n), 'prose');
      expect(estimate).toBeGreaterThanOrEqual(previous);
      previous = estimate;
    }
  });

  it('fails on an unknown kind or a non-string text', () => {
    expect(() => estimateTokens('x', 'yaml' as never)).toThrow(/kind must be one of prose, code, json, non-latin/);
    expect(() => estimateTokens(42 as never)).toThrow(TypeError);
  });
});
