import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { emitGenAiSpan, TRACER_NAME } from '../../../lambda/pipeline/genai-span';
import type { AnswerSink } from '../../../lambda/pipeline/answer';
import { GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { Recorder, SpendRecord } from '../../../lambda/pipeline/stages/record-request';
import { BedrockSimulator, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { CHAT_LIMITS, MemoryResponseCache, proseOfWords, sampleRecord, sampleResult, simulatorClient, SONNET_4, stdoutLinesOf, testConfig } from './support';

// An OpenTelemetry SDK as the ADOT layer registers one, exporting to memory: what a deployed function would export.
const exporter = new InMemorySpanExporter();
let sim: BedrockSimulator;
let bedrock: BedrockRuntimeClient;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  sim = await startBedrockSimulator();
  bedrock = simulatorClient(sim);
});
afterAll(async () => {
  trace.disable();
  bedrock.destroy();
  await sim.close();
});
beforeEach(() => {
  exporter.reset();
  sim.reset();
});

// Sonnet 4 caches prompts from 1,024 tokens (simulator and catalog), so a long system prompt is written, then read.
const SONNET = { invokeId: SONNET_4, modelId: SONNET_4 };
const START_MS = Date.UTC(2026, 10, 28, 12);

/** The pipeline with the response cache, a clock that moves 7 ms per reading, and spans emitted as the recorder does. */
function tracedPipeline() {
  const records: SpendRecord[] = [];
  let clock = START_MS;
  const now = () => (clock += 7);
  const recorder: Recorder = { record: (record) => { records.push(record); emitGenAiSpan(record, now()); } };
  const pipeline = new GenAiPipeline(
    testConfig({ tiers: { simple: SONNET, medium: SONNET, complex: SONNET }, responseCache: { tableName: 'cache', ttlSeconds: 3_600, namespace: 'v1' } }),
    { bedrock, recorder, responseCache: new MemoryResponseCache(), now, sleep: async () => undefined, random: () => 0.5 },
  );
  return { pipeline, records };
}

const system = proseOfWords(1_500);
const ask = (message: string, extra: Record<string, unknown> = {}) => ({ message, system, tenantId: 'customer-123', userId: 'user-42', ...extra });
const ms = (time: ReadableSpan['startTime']) => time[0] * 1000 + time[1] / 1e6;

describe('one OpenTelemetry span per model call, with the GenAI conventions\' attribute names', () => {
  test('a buffered call: its model, output cap, usage (cache writes within the input tokens), cost, run and tenant', async () => {
    const { pipeline, records } = tracedPipeline();

    const result = await pipeline.handle(ask('Which refund rule applies to order 1001?', { runId: 'agent-7' }), { requestId: 'req-1' });

    const billed = sim.calls[0].usage!;
    expect(billed.cacheWriteInputTokens).toBeGreaterThan(0);
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span.name).toBe(`chat ${SONNET_4}`);
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.instrumentationScope.name).toBe(TRACER_NAME);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': SONNET_4,
      'gen_ai.response.model': SONNET_4,
      'gen_ai.request.max_tokens': CHAT_LIMITS.maxOutputTokens,
      'gen_ai.usage.input_tokens': billed.inputTokens + billed.cacheReadInputTokens! + billed.cacheWriteInputTokens!,
      'gen_ai.usage.output_tokens': billed.outputTokens,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': billed.cacheWriteInputTokens,
      'genai_finops.cost.usd': result.cost.totalUsd,
      'genai_finops.cost.estimated': false,
      'genai_finops.cost.priced': 'catalog',
      'genai_finops.run.id': 'agent-7',
      'genai_finops.tenant.id': 'customer-123',
      'genai_finops.application': 'support',
      'genai_finops.environment': 'test',
      'genai_finops.feature': 'chat',
      'genai_finops.path': 'converse',
      'genai_finops.request.id': 'req-1',
      'genai_finops.service_tier': 'standard',
      'genai_finops.route.tier': result.model.tier,
      'genai_finops.response_cache': 'miss',
      'genai_finops.attempts': 1,
    });
    // The span covers the request, from its start to its record.
    expect(ms(span.endTime) - ms(span.startTime)).toBe(records[0].latencyMs);
    // The user id names a person: it stays in the EMF record, out of traces.
    expect(JSON.stringify(span.attributes)).not.toContain('user-42');
  });

  test('a prompt-cache read counts in the input tokens and apart, and the cost is the cheaper read\'s', async () => {
    const { pipeline } = tracedPipeline();
    await pipeline.handle(ask('Which refund rule applies to order 1001?'), { requestId: 'req-1' });

    const second = await pipeline.handle(ask('And to order 1002?'), { requestId: 'req-2' });

    const billed = sim.calls[1].usage!;
    expect(billed.cacheReadInputTokens).toBeGreaterThan(0);
    const span = exporter.getFinishedSpans()[1];
    expect(span.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': billed.inputTokens + billed.cacheReadInputTokens! + billed.cacheWriteInputTokens!,
      'gen_ai.usage.cache_read.input_tokens': billed.cacheReadInputTokens,
      'gen_ai.usage.cache_creation.input_tokens': billed.cacheWriteInputTokens ?? 0,
      'genai_finops.cost.usd': second.cost.totalUsd,
    });
  });

  test('a response-cache hit: an INTERNAL span with no usage and no cost, and what it saved', async () => {
    const { pipeline } = tracedPipeline();
    const first = await pipeline.handle(ask('Which refund rule applies to order 1001?', { runId: 'agent-7' }), { requestId: 'req-1' });

    await pipeline.handle(ask('Which refund rule applies to order 1001?', { runId: 'agent-7' }), { requestId: 'req-2' });

    expect(sim.calls).toHaveLength(1);
    const hit = exporter.getFinishedSpans()[1];
    expect(hit.kind).toBe(SpanKind.INTERNAL);
    expect(hit.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.response.model': SONNET_4,
      'gen_ai.usage.input_tokens': 0,
      'gen_ai.usage.output_tokens': 0,
      'genai_finops.cost.usd': 0,
      'genai_finops.cost.saved_usd': first.cost.totalUsd,
      'genai_finops.response_cache': 'hit',
      'genai_finops.run.id': 'agent-7',
      'genai_finops.request.id': 'req-2',
      'genai_finops.attempts': 0,
    });
    // No model served it: no service tier to report.
    expect(hit.attributes['genai_finops.service_tier']).toBeUndefined();
  });

  test('a child run\'s call names its run and its parent, so the parent\'s cost can be summed over its children', async () => {
    const { pipeline } = tracedPipeline();

    await pipeline.handle(ask('Search the policy for refunds.', { runId: 'agent-7.search', parentRunId: 'agent-7' }), { requestId: 'req-3' });

    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({ 'genai_finops.run.id': 'agent-7.search', 'genai_finops.run.parent_id': 'agent-7' });
  });

  test('a refusal reached no model and makes no span', async () => {
    const { pipeline, records } = tracedPipeline();

    await expect(pipeline.handle({ message: '', tenantId: 'customer-123' }, { requestId: 'req-4' })).rejects.toMatchObject({ status: 400 });

    expect(records).toHaveLength(1);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  test('a streamed call (ConverseStream): marked streaming, with the usage of the stream\'s last event, once it is settled', async () => {
    const { pipeline, records } = tracedPipeline();
    const deltas: string[] = [];
    const sink: AnswerSink = { start: () => undefined, delta: (text) => { deltas.push(text); }, clientGone: false };

    const answer = await pipeline.handleAnswer(ask('Which refund rule applies to order 1003?', { runId: 'agent-7' }), { requestId: 'req-5' }, {}, sink);
    // The answer is out before its settlement: the span comes with the record, after it.
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await answer.finish();

    const billed = sim.calls[0].usage!;
    expect(sim.calls[0].operation).toBe('ConverseStream');
    expect(deltas.join('')).toBe(answer.result.answer);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(exporter.getFinishedSpans()[0].attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': billed.inputTokens + billed.cacheReadInputTokens! + billed.cacheWriteInputTokens!,
      'gen_ai.usage.output_tokens': billed.outputTokens,
      'genai_finops.cost.usd': answer.result.cost.totalUsd,
      'genai_finops.cost.estimated': false,
      'genai_finops.stream.outcome': records[0].stream!.outcome,
      'genai_finops.run.id': 'agent-7',
    });
  });

  test('a streamed call that failed mid-way: marked streaming, its settled bound estimated, the span an error', () => {
    const record = sampleRecord(sampleResult(), { stream: { outcome: 'failed', deltasSent: 3 }, estimated: true, errorCode: 'MODEL_STREAM_ERROR', costUsd: 0.0123, timestampMs: START_MS });

    emitGenAiSpan(record);

    const [span] = exporter.getFinishedSpans();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true, 'genai_finops.cost.usd': 0.0123, 'genai_finops.cost.estimated': true,
      'genai_finops.stream.outcome': 'failed', 'error.type': 'MODEL_STREAM_ERROR',
    });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    // A record made after the fact (`timestampMs`) ends its span then, not now.
    expect(ms(span.endTime)).toBe(START_MS);
  });

  test('the deployed recorder emits the span beside its EMF record', async () => {
    await stdoutLinesOf(() => new PowertoolsRecorder().record(sampleRecord(sampleResult(), { runId: 'agent-9' })));

    expect(exporter.getFinishedSpans().map((s) => s.attributes['genai_finops.run.id'])).toEqual(['agent-9']);
  });
});
