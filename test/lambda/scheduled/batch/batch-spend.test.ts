import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GENAI_TAGS, HAIKU_45, withEmf } from '../../../support/handler-env';
import { scheduledFor, useScheduledHarness } from '../../../support/scheduled-harness';

/*
 * Batch spend through the spend port: the scheduled handler against the Bedrock simulator and the local S3, with the
 * container usage guard configured as the construct's pipeline configuration would carry it. A job's upper bound is
 * reserved at submission, kept in the day's marker, and settled to the exact batch cost at collection; each
 * collected record is one EMF record on path `batch`.
 */

const INPUT_BUCKET = 'spend-records';
const RESULTS_BUCKET = 'spend-results';
const BATCH_MODEL = `us.${HAIKU_45}`;
const ROLE = 'arn:aws:iam::123456789012:role/nightly-batch';
const MAX_OUTPUT = 1000;
const RECORDS = 100;
// Claude Haiku 4.5 through a `us.` profile at the batch price (half of $1.10 / $5.50 per million), in attodollars
// per token: $0.55 / 1e6 = 5.5e11, $2.75 / 1e6 = 2.75e12.
const BATCH_INPUT_ATTO = 550_000_000_000n;
const BATCH_OUTPUT_ATTO = 2_750_000_000_000n;
// A month's budget with room for one day's upper bound (100 records × 1000 output tokens at $2.75 per million is
// $0.275, plus the input) but not two; the simulator's short answers cost a fraction of their bound.
const MONTHLY_USD = 0.4;

// The simulator's clock, when a test fixes it (the time a batch job ends).
let simulatorNow: number | undefined;

const h = useScheduledHarness({
  inputBucket: INPUT_BUCKET, resultsBucket: RESULTS_BUCKET,
  simulator: (s3Endpoint) => ({ batchCompletion: 'manual', batchS3Endpoint: s3Endpoint, now: () => simulatorNow ?? Date.now() }),
  config: {
    maxTokens: MAX_OUTPUT,
    guards: { store: 'container', usageLimits: [{ scope: 'workflow', window: 'month', maxCostUsd: MONTHLY_USD }] },
  },
  env: { BATCH_ROLE_ARN: ROLE, BATCH_MODEL_ID: BATCH_MODEL, BATCH_MIN_RECORDS: String(RECORDS), BATCH_JOB_PREFIX: 'spend-nightly' },
  // Each test starts with a fresh container: its usage guard has counted nothing yet.
  freshContainerEachTest: true,
});

const collectAt = (day: string) => ({ collect: true as const, time: scheduledFor(day).time });
const exists = async (key: string) => (await h.s3Client.send(new ListObjectsV2Command({ Bucket: RESULTS_BUCKET, Prefix: key }))).KeyCount! > 0;
const createsFor = (day: string) => h.sim.controlPlaneCalls.filter((c) => c.operation === 'CreateModelInvocationJob' && c.jobName?.endsWith(day));
// A collection also collects the earlier days' jobs still pending: only the records of `day` count.
const batchRecords = (emf: Array<Record<string, any>>, day: string) => emf.filter((r) => r.path === 'batch' && String(r.requestId).includes(day));

async function writeDay(day: string): Promise<void> {
  for (let i = 0; i < RECORDS; i++) {
    const Key = `records/${day}/chat-${String(i).padStart(3, '0')}.txt`;
    await h.putInput(Key, `Customer ${i} asked about invoice ${1000 + i} and a refund for order ${i * 7}.`);
  }
}

describe('scheduled workflow: batch spend through the spend port', () => {
  test('creates the day\'s job with the workflow\'s GenAI tags and InferenceType batch', async () => {
    await writeDay('2026-05-01');

    const { result } = await withEmf(() => h.handler(scheduledFor('2026-05-01')));

    expect(result.batch).toMatchObject({ status: 'started', jobName: 'spend-nightly-2026-05-01' });
    const job = h.sim.batchJobs.find((j) => j.jobName === 'spend-nightly-2026-05-01')!;
    expect(Object.fromEntries(job.tags.map((t) => [t.key, t.value]))).toEqual({ ...GENAI_TAGS, InferenceType: 'batch' });
  });

  test('keeps the job\'s upper-bound reservation in the day\'s marker: every record\'s input bound and output cap, at the batch price', async () => {
    await writeDay('2026-05-02');

    await withEmf(() => h.handler(scheduledFor('2026-05-02')));

    const { spend } = await h.resultJson('results/2026-05-02/_batch.json');
    expect(spend).toMatchObject({ requestId: 'spend-nightly-2026-05-02', tenantId: 'internal', userId: 'schedule', feature: GENAI_TAGS.Feature });
    expect(spend.holds).toEqual([{ guard: 'container-usage', hold: expect.any(String) }]);
    const outputCap = RECORDS * MAX_OUTPUT;
    const inputBound = spend.estimate.tokens - outputCap;
    expect(inputBound).toBeGreaterThan(RECORDS);
    // The cost is kept exactly, as a decimal string of attodollars.
    expect(spend.estimate.costAtto).toMatch(/^\d+$/);
    expect(BigInt(spend.estimate.costAtto)).toBe(BigInt(inputBound) * BATCH_INPUT_ATTO + BigInt(outputCap) * BATCH_OUTPUT_ATTO);
  });

  test('refuses a day the guards have no room for: no job, a rejection on path batch, a manifest saying why, and a run that ends without failing', async () => {
    await writeDay('2026-05-03');
    await writeDay('2026-05-04');
    await withEmf(() => h.handler(scheduledFor('2026-05-03')));

    const { result, emf } = await withEmf(() => h.handler(scheduledFor('2026-05-04')));

    expect(result).toMatchObject({ day: '2026-05-04', mode: 'batch', processed: 0, costUsd: 0, batch: { status: 'refused', refusal: { status: 429, code: 'USAGE_LIMIT_EXCEEDED' } } });
    expect(createsFor('2026-05-04')).toEqual([]);
    expect(await exists('results/2026-05-04/_batch.json')).toBe(false);
    expect(await h.resultJson('results/2026-05-04/_manifest.json')).toMatchObject({
      day: '2026-05-04', mode: 'batch', status: 'refused', code: 'USAGE_LIMIT_EXCEEDED', reason: expect.stringContaining('workflow limit of 0.4 USD per month'),
      retryAfterSeconds: expect.any(Number), records: RECORDS, submitted: 0, costUsd: 0,
    });
    expect(batchRecords(emf, '2026-05-04')).toEqual([expect.objectContaining({ RejectedRequests: 1, status: '429', errorCode: 'USAGE_LIMIT_EXCEEDED', requestId: 'spend-nightly-2026-05-04' })]);
  });

  test('settles the reservation to the exact batch cost at collection, which gives the rest of the bound back for the next day', async () => {
    await writeDay('2026-05-05');
    await writeDay('2026-05-06');
    await withEmf(() => h.handler(scheduledFor('2026-05-05')));
    expect((await withEmf(() => h.handler(scheduledFor('2026-05-06')))).result.batch).toMatchObject({ status: 'refused' });

    await h.sim.completeBatchJobs();
    await withEmf(() => h.handler(collectAt('2026-05-05')));
    const { result } = await withEmf(() => h.handler(scheduledFor('2026-05-06')));

    const manifest = await h.resultJson('results/2026-05-05/_manifest.json');
    expect(manifest).toMatchObject({ status: 'Completed', processed: RECORDS, settleFailures: 0 });
    expect(manifest.costUsd).toBeGreaterThan(0);
    expect(manifest.costUsd).toBeLessThan(manifest.reservedUsd);
    expect(result.batch).toMatchObject({ status: 'started', jobName: 'spend-nightly-2026-05-06' });
    expect(createsFor('2026-05-06')).toHaveLength(1);
  });

  test('records one EMF record per collected record on path batch, with its model, usage and exact cost', async () => {
    await writeDay('2026-05-07');
    await withEmf(() => h.handler(scheduledFor('2026-05-07')));
    await h.sim.completeBatchJobs();

    const { emf } = await withEmf(() => h.handler(collectAt('2026-05-07')));

    const records = batchRecords(emf, '2026-05-07');
    expect(records).toHaveLength(RECORDS);
    const manifest = await h.resultJson('results/2026-05-07/_manifest.json');
    let totalUsd = 0;
    for (let i = 0; i < RECORDS; i++) {
      const name = `chat-${String(i).padStart(3, '0')}.txt`;
      const result = await h.resultJson(`results/2026-05-07/${name}.json`);
      const record = records.find((r) => r.requestId === `2026-05-07:${name}`)!;
      expect(record).toMatchObject({
        Application: GENAI_TAGS.Application, Feature: GENAI_TAGS.Feature, Model: HAIKU_45, Requests: 1, ModelAttempts: 1,
        InputTokens: result.usage.inputTokens, OutputTokens: result.usage.outputTokens, tenantId: 'internal', userId: 'schedule',
      });
      // The exact cost of the record at the batch price, the same figure as its result.
      expect(record.CostUSD).toBe(result.cost.totalUsd);
      expect(record.CostUSD).toBeCloseTo((result.usage.inputTokens * 0.55 + result.usage.outputTokens * 2.75) / 1e6, 15);
      totalUsd += record.CostUSD;
    }
    expect(totalUsd).toBeCloseTo(manifest.costUsd, 12);
  });

  test('stamps the records with the job\'s end time, the hours CUR bills, not the collection\'s (the next UTC day)', async () => {
    await writeDay('2026-05-09');
    await withEmf(() => h.handler(scheduledFor('2026-05-09')));
    const endedAt = Date.parse('2026-05-09T23:40:00Z');
    simulatorNow = endedAt;
    try {
      await h.sim.completeBatchJobs();
    } finally {
      simulatorNow = undefined;
    }

    // Collected on 2026-05-10 at 02:00 (and, in this process, at the machine's time): neither is the billed day.
    const { emf } = await withEmf(() => h.handler(collectAt('2026-05-09')));

    const records = batchRecords(emf, '2026-05-09');
    expect(records).toHaveLength(RECORDS);
    for (const record of records) expect(record._aws.Timestamp).toBe(endedAt);
  });

  test('records each record of a failed job as a failure on path batch, with its code', async () => {
    await writeDay('2026-05-08');
    await withEmf(() => h.handler(scheduledFor('2026-05-08')));
    h.sim.failBatchJobs('The service role cannot read the input.');

    const { emf } = await withEmf(() => h.handler(collectAt('2026-05-08')));

    const records = batchRecords(emf, '2026-05-08');
    expect(records).toHaveLength(RECORDS);
    for (const record of records) expect(record).toMatchObject({ FailedRequests: 1, status: '502', errorCode: 'BATCH_NO_OUTPUT' });
    expect(records.some((r) => r.CostUSD !== undefined)).toBe(false);
  });
});
