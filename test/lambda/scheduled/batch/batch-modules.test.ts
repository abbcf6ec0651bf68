import { lookbackDays } from '../../../../lambda/scheduled/batch/collect';
import { dayOfJobName, jobNameFor, readBatchConfig } from '../../../../lambda/scheduled/batch/config';
import { triggerOf } from '../../../../lambda/scheduled/batch/events';
import { batchKeys, recordIdFor, RESERVED_RECORD_NAMES, reservedNameRejection } from '../../../../lambda/scheduled/batch/marker';
import { batchModelFamily, modelInputFor, readModelOutput } from '../../../../lambda/scheduled/batch/model-format';
import { planBatch } from '../../../../lambda/scheduled/batch/plan';

describe('batch configuration', () => {
  test('is off unless the construct set the role and the model', () => {
    expect(readBatchConfig({})).toBeUndefined();
    expect(readBatchConfig({ BATCH_ROLE_ARN: 'arn:aws:iam::1:role/r' })).toBeUndefined();
  });

  test('defaults to Bedrock\'s minimum of 100 records and a 14-day look-back', () => {
    expect(readBatchConfig({ BATCH_ROLE_ARN: 'r', BATCH_MODEL_ID: 'm', BATCH_JOB_PREFIX: 'Stack-Nightly-1a2b' }))
      .toEqual({ roleArn: 'r', modelId: 'm', minimumRecords: 100, lookbackDays: 14, jobPrefix: 'Stack-Nightly-1a2b' });
    expect(readBatchConfig({ BATCH_ROLE_ARN: 'r', BATCH_MODEL_ID: 'm', BATCH_MIN_RECORDS: '250' })?.minimumRecords).toBe(250);
  });

  test('fails loudly on a malformed value rather than running on demand', () => {
    expect(() => readBatchConfig({ BATCH_ROLE_ARN: 'r', BATCH_MODEL_ID: 'm', BATCH_MIN_RECORDS: '1.5' })).toThrow("BATCH_MIN_RECORDS must be a whole number of at least 1, got '1.5'.");
    expect(() => readBatchConfig({ BATCH_ROLE_ARN: 'r', BATCH_MODEL_ID: 'm', BATCH_JOB_PREFIX: 'has.dots' })).toThrow(/BATCH_JOB_PREFIX 'has.dots'/);
  });

  test('names one job per day and reads the day back from the name', () => {
    const config = readBatchConfig({ BATCH_ROLE_ARN: 'r', BATCH_MODEL_ID: 'm', BATCH_JOB_PREFIX: 'nightly' })!;
    expect(jobNameFor(config, '2026-11-27')).toBe('nightly-2026-11-27');
    expect(dayOfJobName(config, 'nightly-2026-11-27')).toBe('2026-11-27');
    expect(dayOfJobName(config, 'other-2026-11-27')).toBeUndefined();
    expect(dayOfJobName(config, 'nightly-x')).toBeUndefined();
    expect(recordIdFor(0)).toBe('R0000000001');
  });

  test('looks back over the day and the days before it, across month ends', () => {
    expect(lookbackDays('2026-03-01', 3)).toEqual(['2026-03-01', '2026-02-28', '2026-02-27']);
  });
});

describe('batch record formats', () => {
  test('knows Anthropic Claude and Amazon Nova, through any profile prefix', () => {
    expect(batchModelFamily('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('anthropic');
    expect(batchModelFamily('amazon.nova-lite-v1:0')).toBe('nova');
    expect(batchModelFamily('meta.llama3-1-8b-instruct-v1:0')).toBeUndefined();
  });

  test('writes Nova records in the messages-v1 format', () => {
    expect(modelInputFor('nova', 'Be brief.', 'Hello', 50)).toEqual({
      schemaVersion: 'messages-v1', system: [{ text: 'Be brief.' }], messages: [{ role: 'user', content: [{ text: 'Hello' }] }], inferenceConfig: { maxTokens: 50 },
    });
  });

  test('reads answers and usage from either response format', () => {
    expect(readModelOutput({
      content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }], stop_reason: 'end_turn',
      usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 2, cache_creation_input_tokens: 1 },
    })).toEqual({ answer: 'AB', stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 4, cacheReadInputTokens: 2, cacheWriteInputTokens: 1 } });
    expect(readModelOutput({
      output: { message: { role: 'assistant', content: [{ text: 'N' }] } }, stopReason: 'max_tokens',
      usage: { inputTokens: 7, outputTokens: 3, totalTokens: 10, cacheReadInputTokenCount: 5 },
    })).toEqual({ answer: 'N', stopReason: 'max_tokens', usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 5, cacheWriteInputTokens: 0 } });
    expect(() => readModelOutput({ results: [] })).toThrow(TypeError);
    expect(() => readModelOutput({ content: [], usage: { input_tokens: -1 } })).toThrow('usage.input_tokens is not a token count: -1');
  });
});

describe('batch planning', () => {
  test('keeps empty and oversized records out of the batch, with the pipeline\'s codes', async () => {
    const plan = await planBatch([
      { key: 'r/a', name: 'a', text: 'Short record.' },
      { key: 'r/b', name: 'b', text: ' ' },
      { key: 'r/c', name: 'c', text: 'word '.repeat(500) },
    ], 'Summarise.', { maxInputTokens: 100, maxOutputTokens: 50 }, 'digest');
    expect(plan.accepted.map((r) => r.name)).toEqual(['a']);
    expect(plan.rejected.map((r) => [r.record.name, r.code])).toEqual([['b', 'EMPTY_RECORD'], ['c', 'PROMPT_TOO_LARGE']]);
  });

  test('rejects the records whose result would overwrite a control file of the day, and only those', async () => {
    const keys = batchKeys('results/', 'batch/', '2026-11-27');
    expect(RESERVED_RECORD_NAMES.map((name) => keys.result(name)).sort()).toEqual([keys.manifest, keys.marker, keys.index].sort());

    const plan = await planBatch(['_manifest', '_batch', '_batch-records', '_batch.json', '_Manifest', 'x/_batch', 'a'].map((name) => ({ key: `r/${name}`, name, text: 'Short record.' })),
      'Summarise.', { maxInputTokens: 100, maxOutputTokens: 50 }, 'digest');
    expect(plan.accepted.map((r) => r.name)).toEqual(['_batch.json', '_Manifest', 'x/_batch', 'a']);
    expect(plan.rejected.map((r) => [r.record.name, r.code])).toEqual([['_manifest', 'RESERVED_NAME'], ['_batch', 'RESERVED_NAME'], ['_batch-records', 'RESERVED_NAME']]);
    expect(reservedNameRejection('_batch')?.reason).toContain("The record name '_batch' is reserved");
    expect(reservedNameRejection('a')).toBeUndefined();
  });
});

describe('batch triggers', () => {
  test('tells a schedule, a collect request and a Bedrock job state change apart', () => {
    expect(triggerOf({ 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'time': '2026-11-28T02:00:00Z' })).toEqual({ kind: 'scheduled', time: '2026-11-28T02:00:00Z' });
    expect(triggerOf({ collect: true })).toEqual({ kind: 'collect', time: undefined });
    expect(triggerOf({
      'source': 'aws.bedrock', 'detail-type': 'Batch Inference Job State Change', 'resources': ['arn:job'],
      'detail': { batchJobName: 'nightly-2026-11-27', status: 'Completed' },
    })).toEqual({ kind: 'job-state', jobName: 'nightly-2026-11-27', jobArn: 'arn:job', status: 'Completed', time: undefined });
    expect(triggerOf(undefined)).toEqual({ kind: 'scheduled', time: undefined });
  });
});
