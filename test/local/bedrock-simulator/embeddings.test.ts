import { BedrockRuntimeClient, InvokeModelCommand, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { BedrockMessages, BedrockSimulator, countTokens, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { clientFor, rejectionOf, textOfTokens } from './support';

const V1 = 'amazon.titan-embed-text-v1';
const V2 = 'amazon.titan-embed-text-v2:0';
const EMBEDDING_PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/embed01';

interface TitanResponse {
  embedding: number[];
  inputTextTokenCount: number;
  embeddingsByType?: { float?: number[]; binary?: number[] };
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

describe('Bedrock simulator: InvokeModel with Titan Text Embeddings', () => {
  let sim: BedrockSimulator;
  let client: BedrockRuntimeClient;

  beforeAll(async () => {
    sim = await startBedrockSimulator({ modelAliases: { [EMBEDDING_PROFILE]: V2 } });
    client = clientFor(sim);
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  async function embed(modelId: string, body: Record<string, unknown>): Promise<TitanResponse> {
    const response = await client.send(new InvokeModelCommand({ modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }));
    expect(response.contentType).toBe('application/json');
    return JSON.parse(Buffer.from(response.body).toString('utf8')) as TitanResponse;
  }

  test('v2 returns 1024 unit-length dimensions by default with the input token count', async () => {
    const text = 'How much did the data team spend on Bedrock?';
    const response = await embed(V2, { inputText: text });
    expect(response.embedding).toHaveLength(1024);
    expect(norm(response.embedding)).toBeCloseTo(1, 10);
    expect(response.inputTextTokenCount).toBe(countTokens(text));
    expect(response.embeddingsByType?.float).toEqual(response.embedding);
  });

  test.each([256, 512, 1024])('v2 honours dimensions=%i', async (dimensions) => {
    const response = await embed(V2, { inputText: 'budget alert', dimensions });
    expect(response.embedding).toHaveLength(dimensions);
    expect(norm(response.embedding)).toBeCloseTo(1, 10);
  });

  test('v2 with normalize=false returns the same direction without unit length', async () => {
    const normalized = await embed(V2, { inputText: 'monthly forecast', normalize: true });
    const raw = await embed(V2, { inputText: 'monthly forecast', normalize: false });
    expect(Math.abs(norm(raw.embedding) - 1)).toBeGreaterThan(1e-3);
    expect(cosine(raw.embedding, normalized.embedding)).toBeCloseTo(1, 10);
  });

  test('v2 can return binary embeddings', async () => {
    const response = await embed(V2, { inputText: 'cost report', embeddingTypes: ['float', 'binary'] });
    expect(response.embeddingsByType?.binary).toEqual(response.embedding.map((v) => (v > 0 ? 1 : 0)));
  });

  test('v1 always returns 1536 dimensions', async () => {
    const response = await embed(V1, { inputText: 'cost report' });
    expect(response.embedding).toHaveLength(1536);
    expect(response.inputTextTokenCount).toBe(countTokens('cost report'));
    expect(response.embeddingsByType).toBeUndefined();
  });

  test('v1 rejects v2-only keys, as Titan does', async () => {
    const error = await rejectionOf(embed(V1, { inputText: 'x', dimensions: 256 }));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/extraneous key \[dimensions\]/);
  });

  test('the same text always gets the same vector; different texts do not', async () => {
    for (const model of [V1, V2]) {
      const a = await embed(model, { inputText: 'Reserve capacity for peak traffic' });
      const b = await embed(model, { inputText: 'Reserve capacity for peak traffic' });
      const c = await embed(model, { inputText: 'Lunch menu for Friday' });
      expect(b.embedding).toEqual(a.embedding);
      expect(c.embedding).not.toEqual(a.embedding);
    }
  });

  test('texts sharing words are closer than unrelated texts', async () => {
    const a = await embed(V2, { inputText: 'What was our Bedrock spend last month?' });
    const b = await embed(V2, { inputText: 'What was our Bedrock spend last week?' });
    const c = await embed(V2, { inputText: 'Recommend a pasta recipe with tomatoes' });
    expect(cosine(a.embedding, b.embedding)).toBeGreaterThan(0.7);
    expect(cosine(a.embedding, b.embedding)).toBeLessThan(1);
    expect(Math.abs(cosine(a.embedding, c.embedding))).toBeLessThan(0.3);
  });

  test('resolves an application inference profile through modelAliases', async () => {
    const direct = await embed(V2, { inputText: 'alias check' });
    const viaProfile = await embed(EMBEDDING_PROFILE, { inputText: 'alias check' });
    expect(viaProfile.embedding).toEqual(direct.embedding);
  });

  test.each([
    ['dimensions Titan does not offer', { inputText: 'x', dimensions: 300 }],
    ['an empty inputText', { inputText: '' }],
    ['a missing inputText', { dimensions: 256 }],
    ['an unknown key', { inputText: 'x', temperature: 0.5 }],
    ['a non-boolean normalize', { inputText: 'x', normalize: 'yes' }],
  ])('rejects %s', async (_label, body) => {
    const error = await rejectionOf(embed(V2, body));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  test('rejects a body that is not JSON', async () => {
    const error = await rejectionOf(client.send(new InvokeModelCommand({ modelId: V2, body: 'inputText=hello' })));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.malformedInput);
  });

  test('rejects input beyond the 8,192-token limit', async () => {
    const error = await rejectionOf(embed(V2, { inputText: textOfTokens(8193) }));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(BedrockMessages.inputTooLong);
  });

  test('InvokeModel on any other model is a ValidationException', async () => {
    const error = await rejectionOf(embed('anthropic.claude-3-haiku-20240307-v1:0', { anthropic_version: 'bedrock-2023-05-31', messages: [] }));
    expect(error).toBeInstanceOf(ValidationException);
  });

  test('records embeddings calls with their input tokens', async () => {
    sim.reset();
    await embed(V2, { inputText: 'count me' });
    expect(sim.calls).toEqual([
      expect.objectContaining({
        operation: 'InvokeModel',
        modelId: V2,
        status: 200,
        usage: { inputTokens: countTokens('count me'), outputTokens: 0, totalTokens: countTokens('count me'), cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      }),
    ]);
  });
});
