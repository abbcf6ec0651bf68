import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { RequestRecord } from '../../../lambda/pipeline/stages/record-request';
import { PipelineResult } from '../../../lambda/pipeline/types';
import { emfRecords, HAIKU_45, sampleResult, stdoutLinesOf, testRequest } from './support';

const request = testRequest({ requestId: 'req-1', tenantId: 'customer-123', userId: 'user-42' });
const answered = sampleResult();
const base = { application: 'support', environment: 'production', feature: 'chat', request };

/** The EMF records written while recording `records`, one recorder for all. */
async function emfOf(...records: RequestRecord[]): Promise<Array<Record<string, any>>> {
  const recorder = new PowertoolsRecorder();
  return emfRecords(await stdoutLinesOf(() => records.forEach((r) => recorder.record(r))));
}

describe('PowertoolsRecorder', () => {
  test('writes one EMF record per request', async () => {
    const emf = await emfOf({ ...base, status: 200, result: answered }, { ...base, status: 200, result: answered });

    expect(emf).toHaveLength(2);
  });

  test('puts the metrics in the GenAI/FinOps namespace with dimensions Application, Feature and Model', async () => {
    const [emf] = await emfOf({ ...base, status: 200, result: answered });

    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('GenAI/FinOps');
    expect(directive.Dimensions).toHaveLength(1);
    expect([...directive.Dimensions[0]].sort()).toEqual(['Application', 'Feature', 'Model']);
    // The model dimension is the base model id, whatever profile was called
    expect(emf).toMatchObject({ Application: 'support', Feature: 'chat', Model: HAIKU_45 });
  });

  test('keeps tenant, user and request ids as properties, never as dimensions', async () => {
    const [emf] = await emfOf({ ...base, status: 200, result: answered });

    expect(emf).toMatchObject({ tenantId: 'customer-123', userId: 'user-42', requestId: 'req-1' });
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toEqual(expect.arrayContaining(['tenantId']));
    expect(emf._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toEqual(expect.arrayContaining(['userId']));
  });

  test('records the tokens, cost, latency and attempts of an answered request', async () => {
    const [emf] = await emfOf({ ...base, status: 200, result: answered });

    expect(emf).toMatchObject({
      Requests: 1, InputTokens: 120, OutputTokens: 9, CacheReadInputTokens: 0, CacheWriteInputTokens: 0,
      CostUSD: 0.0001815, LatencyMs: 321, ModelAttempts: 1, ResponseCacheMisses: 1,
    });
    expect(emf._aws.CloudWatchMetrics[0].Metrics).toEqual(expect.arrayContaining([{ Name: 'CostUSD', Unit: 'None' }, { Name: 'LatencyMs', Unit: 'Milliseconds' }]));
  });

  test('records a response-cache hit and the money it saved', async () => {
    const hit: PipelineResult = { ...answered, cache: { response: 'hit', prompt: 'none', savedUsd: 0.0001815 } };

    const [emf] = await emfOf({ ...base, status: 200, result: hit });

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

  test('never throws into the request path: a record it cannot write is logged instead', async () => {
    // Given a result whose model id is not a string
    const broken = { ...answered, model: { ...answered.model, id: undefined as unknown as string } };
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => {
      errors.push(line);
    });

    try {
      // When it is recorded
      await stdoutLinesOf(() => new PowertoolsRecorder().record({ ...base, status: 200, result: broken }));
    } finally {
      spy.mockRestore();
    }

    // Then nothing was thrown and the failure was logged
    expect(errors.map((line) => JSON.parse(line).message)).toEqual(['recording the request failed']);
  });
});
