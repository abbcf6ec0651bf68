import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { SpendRecord } from '../../../lambda/pipeline/stages/record-request';
import { PipelineResult } from '../../../lambda/pipeline/types';
import { emfRecords, HAIKU_45, sampleRecord, sampleResult, stdoutLinesOf } from './support';

const answered = sampleResult();
const base = { application: 'support', environment: 'production', feature: 'chat', path: 'converse' as const, requestId: 'req-1', tenantId: 'customer-123', userId: 'user-42' };
const answeredRecord = sampleRecord(answered, { environment: 'production', tenantId: 'customer-123' });

/** The EMF records written while recording `records`, one recorder for all. */
async function emfOf(...records: SpendRecord[]): Promise<Array<Record<string, any>>> {
  const recorder = new PowertoolsRecorder();
  return emfRecords(await stdoutLinesOf(() => records.forEach((r) => recorder.record(r))));
}

describe('PowertoolsRecorder', () => {
  test('writes one EMF record per request', async () => {
    const emf = await emfOf(answeredRecord, answeredRecord);

    expect(emf).toHaveLength(2);
  });

  test('puts the metrics in the GenAI/FinOps namespace with dimensions Application, Feature and Model', async () => {
    const [emf] = await emfOf(answeredRecord);

    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('GenAI/FinOps');
    expect(directive.Dimensions).toHaveLength(1);
    expect([...directive.Dimensions[0]].sort()).toEqual(['Application', 'Feature', 'Model']);
    // The model dimension is the base model id, whatever profile was called
    expect(emf).toMatchObject({ Application: 'support', Feature: 'chat', Model: HAIKU_45 });
  });

  test('keeps tenant, user and request ids as properties, never as dimensions', async () => {
    const [emf] = await emfOf(answeredRecord);

    expect(emf).toMatchObject({ tenantId: 'customer-123', userId: 'user-42', requestId: 'req-1' });
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toEqual(expect.arrayContaining(['tenantId']));
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toEqual(expect.arrayContaining(['userId']));
  });

  test('records the tokens, cost, latency and attempts of an answered request', async () => {
    const [emf] = await emfOf(answeredRecord);

    expect(emf).toMatchObject({
      Requests: 1, InputTokens: 120, OutputTokens: 9, CacheReadInputTokens: 0, CacheWriteInputTokens: 0,
      CostUSD: 0.0001815, LatencyMs: 321, ModelAttempts: 1, ResponseCacheMisses: 1,
    });
    expect(emf._aws.CloudWatchMetrics[0].Metrics).toEqual(expect.arrayContaining([{ Name: 'CostUSD', Unit: 'None' }, { Name: 'LatencyMs', Unit: 'Milliseconds' }]));
  });

  test('records a response-cache hit and the money it saved', async () => {
    const hit: PipelineResult = { ...answered, cache: { response: 'hit', prompt: 'none', savedUsd: 0.0001815 } };

    const [emf] = await emfOf(sampleRecord(hit));

    expect(emf).toMatchObject({ ResponseCacheHits: 1, SavedUSD: 0.0001815 });
    expect(emf.ResponseCacheMisses).toBeUndefined();
  });

  test('records a refused request as rejected, with its status and code and no model', async () => {
    const [emf] = await emfOf({ ...base, status: 413, errorCode: 'PROMPT_TOO_LARGE' });

    expect(emf).toMatchObject({ Requests: 1, RejectedRequests: 1, Model: 'none', status: '413', errorCode: 'PROMPT_TOO_LARGE', tenantId: 'customer-123' });
    expect(emf.CostUSD).toBeUndefined();
  });

  test('records a failed request as failed', async () => {
    const [emf] = await emfOf({ ...base, status: 503, errorCode: 'MODEL_UNAVAILABLE' });

    expect(emf).toMatchObject({ FailedRequests: 1, status: '503' });
    expect(emf.RejectedRequests).toBeUndefined();
  });

  test('compares the billed input tokens with the bound the limits used', async () => {
    const within = sampleRecord(sampleResult({ inputTokenBound: 120 }));
    const over = sampleRecord(sampleResult({ inputTokenBound: 100 }));

    const [first, second] = await emfOf(within, over);

    expect(first).toMatchObject({ InputTokenBound: 120, InputTokenBoundExceeded: 0 });
    expect(second).toMatchObject({ InputTokenBound: 100, InputTokenBoundExceeded: 1 });
  });

  test('records the embedding path with its cache hits and misses, on the same metrics as Converse', async () => {
    const [emf] = await emfOf({
      ...base, path: 'embedding', status: 200, modelId: 'amazon.titan-embed-text-v2:0', costUsd: 0.0000004,
      usage: { inputTokens: 20, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, attempts: 1,
      embeddingCache: { hits: 2, misses: 1 },
    });

    expect(emf).toMatchObject({ Model: 'amazon.titan-embed-text-v2:0', path: 'embedding', InputTokens: 20, CostUSD: 0.0000004, EmbeddingCacheHits: 2, EmbeddingCacheMisses: 1 });
  });

  test('counts a guard that could not settle a billed call', async () => {
    const [emf] = await emfOf(sampleRecord(answered, { settleFailures: 1 }));

    expect(emf).toMatchObject({ GuardSettleFailures: 1, CostUSD: 0.0001815 });
  });

  test('never throws into the request path: a record it cannot write is logged instead', async () => {
    // Given a record whose model id is not a string
    const broken = { ...answeredRecord, modelId: 42 as unknown as string };
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => {
      errors.push(line);
    });

    try {
      // When it is recorded
      await stdoutLinesOf(() => new PowertoolsRecorder().record(broken));
    } finally {
      spy.mockRestore();
    }

    // Then nothing was thrown and the failure was logged
    expect(errors.map((line) => JSON.parse(line).message)).toEqual(['recording the request failed']);
  });
});
