import { genAiTraceAttributes } from '../../../lambda/pipeline/genai-trace-attributes';
import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { HAIKU_45, sampleRecord, sampleResult, stdoutLinesOf } from './support';

// A stand-in for the X-Ray segment Powertools Tracer returns inside Lambda: records what the recorder does to it.
const subsegments: Array<{ name: string; annotations: Record<string, unknown>; metadata: Record<string, Record<string, unknown>>; closed: boolean }> = [];
jest.mock('@aws-lambda-powertools/tracer', () => ({
  Tracer: class {
    getSegment() {
      return {
        addNewSubsegment: (name: string) => {
          const sub = { name, annotations: {} as Record<string, unknown>, metadata: {} as Record<string, Record<string, unknown>>, closed: false };
          subsegments.push(sub);
          return {
            addAnnotation: (k: string, v: unknown) => { sub.annotations[k] = v; },
            // The X-Ray SDK's signature: key, value, namespace (default 'default').
            addMetadata: (k: string, v: unknown, ns = 'default') => { (sub.metadata[ns] ??= {})[k] = v; },
            close: () => { sub.closed = true; },
          };
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
      metadata: { genai_finops: genAiTraceAttributes(record) },
      closed: true,
    }]);
  });

  test('a run\'s call: run and parent run as annotations (underscore keys, filterable), the OpenTelemetry names as metadata', async () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-6565f0a0-0123456789abcdef01234567';
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'support-chat';
    const runRecord = sampleRecord(result, { runId: 'agent-7.search', parentRunId: 'agent-7', serviceTier: 'flex', maxOutputTokens: 512 });

    await stdoutLinesOf(() => new PowertoolsRecorder().record(runRecord));

    expect(subsegments[0].annotations).toMatchObject({ run_id: 'agent-7.search', parent_run_id: 'agent-7', feature: 'chat' });
    expect(Object.keys(subsegments[0].annotations).every((key) => /^[A-Za-z0-9_]+$/.test(key))).toBe(true);
    expect(subsegments[0].metadata.genai_finops).toMatchObject({
      'gen_ai.request.model': `us.${HAIKU_45}`,
      'gen_ai.request.max_tokens': 512,
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 9,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'genai_finops.cost.usd': 0.0001815,
      'genai_finops.run.id': 'agent-7.search',
      'genai_finops.run.parent_id': 'agent-7',
      'genai_finops.service_tier': 'flex',
    });
    expect(subsegments[0].closed).toBe(true);
  });

  test('outside Lambda, records metrics but opens no trace subsegment', async () => {
    delete process.env._X_AMZN_TRACE_ID;
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;

    const lines = await stdoutLinesOf(() => new PowertoolsRecorder().record(record));

    expect(subsegments).toHaveLength(0);
    expect(lines.some((line) => line.includes('"CostUSD"'))).toBe(true);
  });
});
