import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { HAIKU_45, sampleRecord, sampleResult, stdoutLinesOf } from './support';

// A stand-in for the X-Ray segment Powertools Tracer returns inside Lambda: records what the recorder does to it.
const subsegments: Array<{ name: string; annotations: Record<string, unknown>; closed: boolean }> = [];
jest.mock('@aws-lambda-powertools/tracer', () => ({
  Tracer: class {
    getSegment() {
      return {
        addNewSubsegment: (name: string) => {
          const sub = { name, annotations: {} as Record<string, unknown>, closed: false };
          subsegments.push(sub);
          return { addAnnotation: (k: string, v: unknown) => { sub.annotations[k] = v; }, close: () => { sub.closed = true; } };
        },
      };
    }
  },
}));

const result = sampleResult({ model: { id: `us.${HAIKU_45}`, tier: 'simple', reasons: ['short'] }, answer: 'ok' });
const record = sampleRecord(result);

describe('PowertoolsRecorder tracing', () => {
  const saved = { trace: process.env._X_AMZN_TRACE_ID, fn: process.env.AWS_LAMBDA_FUNCTION_NAME };
  afterEach(() => {
    subsegments.length = 0;
    process.env._X_AMZN_TRACE_ID = saved.trace;
    process.env.AWS_LAMBDA_FUNCTION_NAME = saved.fn;
    if (saved.trace === undefined) delete process.env._X_AMZN_TRACE_ID;
    if (saved.fn === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  });

  test('inside a traced Lambda, annotates a closed subsegment with model, tier, cost, feature and cache status', async () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-6565f0a0-0123456789abcdef01234567';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'support-chat';

    await stdoutLinesOf(() => new PowertoolsRecorder().record(record));

    expect(subsegments).toEqual([{
      name: '## genai.converse',
      annotations: { model: HAIKU_45, tier: 'simple', costUsd: 0.0001815, feature: 'chat', responseCache: 'miss' },
      closed: true,
    }]);
  });

  test('outside Lambda, records metrics but opens no trace subsegment', async () => {
    delete process.env._X_AMZN_TRACE_ID;
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;

    const lines = await stdoutLinesOf(() => new PowertoolsRecorder().record(record));

    expect(subsegments).toHaveLength(0);
    expect(lines.some((line) => line.includes('"CostUSD"'))).toBe(true);
  });
});
