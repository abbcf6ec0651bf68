import { BedrockClient, CreateModelInvocationJobCommand, CreateModelInvocationJobCommandInput } from '@aws-sdk/client-bedrock';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { resetBedrockControlClient } from '../../../../lambda/scheduled/batch/clients';
import { resetClients } from '../../../../lambda/shared/clients';
import { resetContainer } from '../../../../lambda/composition/pipeline-runtime';
import { startBedrockSimulator } from '../../../../packages/local/src/bedrock-simulator';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../../../../packages/local/src/services/s3-local';

/*
 * The scheduled workflow's batch path end to end, with the real SDK clients: the handler against the Bedrock
 * simulator (runtime and control plane on one port) and the local S3. Jobs complete when the test says so.
 */

const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/nightly-batch';
const RUN = '2026-11-28T02:00:00Z';
const MAX_OUTPUT = 300;
// Claude Haiku 4.5 in the catalog: $1 / $5 per million tokens (global), +10% through a `us.` profile = $1.10 / $5.50
// on demand; the batch discount halves both: $0.55 / $2.75.
const ON_DEMAND = { input: 1.1, output: 5.5 };
const BATCH = { input: 0.55, output: 2.75 };

type Simulator = Awaited<ReturnType<typeof startBedrockSimulator>>;
type Handler = typeof import('../../../../lambda/scheduled/handler').handler;

const scheduled = (time = RUN) => ({ 'version': '0', 'id': 'e', 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'account': '1', time, 'region': 'us-east-1', 'resources': [], 'detail': {} }) as any;
const stateChange = (jobName: string, jobArn: string | undefined, status: string) => ({
  'version': '0', 'id': 'b', 'detail-type': 'Batch Inference Job State Change' as const, 'source': 'aws.bedrock' as const, 'account': '123456789012', 'time': RUN, 'region': 'us-east-1',
  'resources': jobArn ? [jobArn] : [], 'detail': { version: '0.0', batchJobName: jobName, batchJobArn: jobArn, batchModelId: HAIKU, status },
});

describe('scheduled workflow: Bedrock batch inference', () => {
  let s3Server: LocalS3;
  let s3: S3Client;
  let sim: Simulator;
  let handler: Handler;
  const saved = { ...process.env };

  const put = (key: string, body: string, bucket = 'records-bucket') => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: 'results-bucket', Key: key }))).Body!.transformToString('utf8');
  const readJson = async (key: string) => JSON.parse(await read(key));
  const exists = async (key: string) => (await s3.send(new ListObjectsV2Command({ Bucket: 'results-bucket', Prefix: key }))).KeyCount! > 0;
  const creates = () => sim.controlPlaneCalls.filter((c) => c.operation === 'CreateModelInvocationJob');
  const writeDay = async (day: string, count: number, extra: Record<string, string> = {}) => {
    for (let i = 0; i < count; i++) {
      await put(`records/${day}/chat-${String(i).padStart(3, '0')}.txt`, `Customer ${i} asked about invoice ${1000 + i} and a refund for order ${i * 7}.`);
    }
    for (const [name, text] of Object.entries(extra)) await put(`records/${day}/${name}`, text);
  };

  beforeAll(async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    s3Server = await startLocalS3();
    s3 = new S3Client(localS3ClientConfig(s3Server.endpoint));
    for (const bucket of ['records-bucket', 'results-bucket']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    sim = await startBedrockSimulator({ batchS3Endpoint: s3Server.endpoint, batchCompletion: 'manual' });
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      GENAI_S3_ENDPOINT: s3Server.endpoint, GENAI_BEDROCK_ENDPOINT: sim.endpoint,
      INPUT_BUCKET: 'records-bucket', INPUT_PREFIX: 'records/', RESULTS_BUCKET: 'results-bucket', RESULTS_PREFIX: 'results/',
      GENAI_PIPELINE_CONFIG: JSON.stringify({ tiers: { simple: { invokeId: HAIKU, modelId: HAIKU } }, defaultLimits: { maxInputTokens: 2_000, maxOutputTokens: MAX_OUTPUT } }),
      GENAI_TAGS: JSON.stringify({ Environment: 'development', Application: 'support', Feature: 'digest', Team: 'support', CostCenter: 'ops' }),
      BATCH_ROLE_ARN: ROLE, BATCH_MODEL_ID: HAIKU, BATCH_MIN_RECORDS: '100', BATCH_JOB_PREFIX: 'test-nightly',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    resetClients();
    resetBedrockControlClient();
    resetContainer();
    handler = require('../../../../lambda/scheduled/handler').handler;
  });
  afterAll(async () => {
    resetClients();
    resetBedrockControlClient();
    resetContainer();
    process.env = saved;
    s3.destroy();
    await sim.close();
    await s3Server.stop();
    jest.restoreAllMocks();
  });

  test('a day at the minimum runs as one batch job, started once however often the run repeats, then collected at the batch price', async () => {
    await writeDay('2026-11-27', 120, { 'chat-empty.txt': '   ' });

    const first = await handler(scheduled());
    expect(first).toMatchObject({
      day: '2026-11-27', mode: 'batch', records: 121, processed: 0, rejected: 1, costUsd: 0, manifestKey: 'results/2026-11-27/_manifest.json',
      batch: { status: 'started', jobName: 'test-nightly-2026-11-27', records: 120, rejected: 1, markerKey: 'results/2026-11-27/_batch.json' },
    });
    const jobArn = first.batch!.jobArn!;
    expect(sim.batchJobs).toEqual([expect.objectContaining({ jobArn, jobName: 'test-nightly-2026-11-27', modelId: HAIKU, roleArn: ROLE, status: 'Submitted' })]);
    expect(sim.batchJobs[0]).toMatchObject({
      inputS3Uri: 's3://results-bucket/batch/input/2026-11-27/records.jsonl',
      outputS3Uri: 's3://results-bucket/batch/output/2026-11-27/',
    });

    // The JSONL input: one line per accepted record, in the model's native (Anthropic Messages) format.
    const lines = (await read('batch/input/2026-11-27/records.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(120);
    expect(lines[0]).toEqual({
      recordId: 'R0000000001',
      modelInput: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: MAX_OUTPUT,
        system: 'Analyse this record and give a short, factual summary.',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Customer 0 asked about invoice 1000 and a refund for order 0.' }] }],
      },
    });
    expect(await readJson('results/2026-11-27/chat-empty.txt.json')).toMatchObject({ status: 'rejected', code: 'EMPTY_RECORD' });
    expect(await readJson('results/2026-11-27/_batch.json')).toMatchObject({ status: 'pending', jobArn, records: 120, rejected: 1 });

    // The schedule's retry, or a second run: the marker says the day is started; no second job.
    const second = await handler(scheduled());
    expect(second).toMatchObject({ mode: 'batch', batch: { status: 'already-started', jobArn } });
    expect(creates()).toHaveLength(1);

    // Not finished yet: collection leaves it pending and writes no manifest.
    sim.startBatchJobs();
    expect(await handler({ collect: true, time: RUN })).toEqual({
      collected: [{ day: '2026-11-27', jobName: 'test-nightly-2026-11-27', jobArn, status: 'pending', jobStatus: 'InProgress' }],
    });
    expect(await exists('results/2026-11-27/_manifest.json')).toBe(false);

    // Bedrock finishes and says so on EventBridge: the results are collected.
    await sim.completeBatchJobs();
    const collected = await handler(stateChange('test-nightly-2026-11-27', jobArn, 'Completed'));
    expect(collected.collected).toEqual([expect.objectContaining({ day: '2026-11-27', status: 'collected', jobStatus: 'Completed', processed: 120, failed: 0 })]);

    let inputTokens = 0;
    let outputTokens = 0;
    for (let i = 0; i < 120; i++) {
      const result = await readJson(`results/2026-11-27/chat-${String(i).padStart(3, '0')}.txt.json`);
      expect(result).toMatchObject({ source: `records/2026-11-27/chat-${String(i).padStart(3, '0')}.txt`, status: 'processed', mode: 'batch', jobArn });
      expect(result.answer.length).toBeGreaterThan(0);
      const { inputTokens: input, outputTokens: output } = result.usage;
      expect(input).toBeGreaterThan(0);
      // Hand-computed from the catalog: the batch price, which is half the on-demand price.
      expect(result.cost.totalUsd).toBeCloseTo((input * BATCH.input + output * BATCH.output) / 1e6, 15);
      expect(result.cost.totalUsd).toBeCloseTo((input * ON_DEMAND.input + output * ON_DEMAND.output) / 1e6 / 2, 15);
      expect(result.cost).toMatchObject({ batch: true, priced: 'catalog' });
      inputTokens += input;
      outputTokens += output;
    }
    const manifest = await readJson('results/2026-11-27/_manifest.json');
    expect(manifest).toMatchObject({
      day: '2026-11-27', mode: 'batch', status: 'Completed', jobArn, modelId: HAIKU,
      records: 121, submitted: 120, processed: 120, failed: 0, rejected: 1, inputTokens, outputTokens,
      cost: { batch: true },
    });
    expect(manifest.costUsd).toBeCloseTo((inputTokens * BATCH.input + outputTokens * BATCH.output) / 1e6, 12);
    expect(await readJson('results/2026-11-27/_batch.json')).toMatchObject({ status: 'collected', jobStatus: 'Completed' });

    // Collected once: later runs neither collect it again nor start another job for the day.
    expect(await handler({ collect: true, time: RUN })).toEqual({ collected: [] });
    expect(await handler(scheduled())).toMatchObject({ mode: 'batch', batch: { status: 'already-started' }, collected: [] });
    expect(creates()).toHaveLength(1);
    expect(sim.calls.filter((c) => c.operation === 'Converse')).toHaveLength(0);
  });

  test('a day below the minimum runs on demand through the pipeline at the on-demand price', async () => {
    await writeDay('2026-11-20', 5);
    const jobsBefore = sim.batchJobs.length;

    const summary = await handler(scheduled('2026-11-21T02:00:00Z'));

    expect(summary).toMatchObject({ day: '2026-11-20', mode: 'on-demand', records: 5, processed: 5, rejected: 0 });
    expect(summary.batch).toBeUndefined();
    expect(sim.batchJobs).toHaveLength(jobsBefore);
    expect(sim.calls.filter((c) => c.operation === 'Converse')).toHaveLength(5);
    const result = await readJson('results/2026-11-20/chat-000.txt.json');
    expect(result).toMatchObject({ status: 'processed', cost: { batch: false } });
    const { inputTokens, outputTokens } = result.usage;
    expect(result.cost.totalUsd).toBeCloseTo((inputTokens * ON_DEMAND.input + outputTokens * ON_DEMAND.output) / 1e6, 15);
    expect(await readJson('results/2026-11-20/_manifest.json')).toMatchObject({ mode: 'on-demand', records: 5, processed: 5 });
  });

  test('a failed job is reported: a manifest with its status and reason, and a failed result for every record', async () => {
    await writeDay('2026-11-19', 100);
    const started = await handler(scheduled('2026-11-20T02:00:00Z'));
    expect(started).toMatchObject({ mode: 'batch', batch: { status: 'started' } });

    expect(sim.failBatchJobs('The service role cannot read the input.')).toBe(1);
    const { collected } = await handler({ collect: true, time: '2026-11-20T02:00:00Z' });

    expect(collected).toEqual([expect.objectContaining({ day: '2026-11-19', status: 'collected', jobStatus: 'Failed', processed: 0, failed: 100, costUsd: 0 })]);
    expect(await readJson('results/2026-11-19/_manifest.json')).toMatchObject({
      mode: 'batch', status: 'Failed', reason: 'The service role cannot read the input.', records: 100, processed: 0, failed: 100, costUsd: 0,
    });
    expect(await readJson('results/2026-11-19/chat-042.txt.json')).toMatchObject({
      status: 'failed', code: 'BATCH_NO_OUTPUT', reason: expect.stringContaining('ended Failed without an answer for this record: The service role cannot read the input.'),
    });
  });

  test('a job that exists without a marker (a run that died after starting it) is not started again, and its event completes it', async () => {
    await writeDay('2026-11-18', 100);
    // A job of that name created with another client token: Bedrock answers ConflictException.
    const bedrock = new BedrockClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand({
      jobName: 'test-nightly-2026-11-18', roleArn: ROLE, modelId: HAIKU, clientRequestToken: 'an-earlier-attempt',
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://results-bucket/batch/input/2026-11-18/records.jsonl' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://results-bucket/batch/output/2026-11-18/' } },
    }));
    bedrock.destroy();

    const summary = await handler(scheduled('2026-11-19T02:00:00Z'));
    expect(summary).toMatchObject({ mode: 'batch', batch: { status: 'already-started', jobName: 'test-nightly-2026-11-18' } });
    expect(summary.batch!.jobArn).toBeUndefined();
    expect(sim.batchJobs.filter((j) => j.jobName === 'test-nightly-2026-11-18')).toHaveLength(1);

    await sim.completeBatchJobs();
    const { collected } = await handler(stateChange('test-nightly-2026-11-18', jobArn, 'Completed'));
    expect(collected).toEqual([expect.objectContaining({ jobArn, status: 'collected', jobStatus: 'Completed', processed: 100 })]);
  });

  test('an event that names no job is matched to its day by the job ARN', async () => {
    await writeDay('2026-11-17', 100);
    const { batch } = await handler(scheduled('2026-11-18T02:00:00Z'));
    await sim.completeBatchJobs();
    const event = stateChange('ignored', batch!.jobArn, 'Completed');
    delete (event.detail as { batchJobName?: string }).batchJobName;

    const { collected } = await handler({ ...event, time: '2026-11-18T09:00:00Z' });
    expect(collected).toEqual([expect.objectContaining({ day: '2026-11-17', jobArn: batch!.jobArn, status: 'collected', processed: 100 })]);
  });

  test('a marker without an ARN whose state change event was missed is found by its job name and collected', async () => {
    await writeDay('2026-11-14', 100);
    // The job exists already (created with another client token: ConflictException), and so does another job whose
    // name contains this one's, created later.
    const bedrock = new BedrockClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const job = (jobName: string): CreateModelInvocationJobCommandInput => ({
      jobName, roleArn: ROLE, modelId: HAIKU, clientRequestToken: 'an-earlier-attempt',
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://results-bucket/batch/input/2026-11-14/records.jsonl' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://results-bucket/batch/output/2026-11-14/' } },
    });
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(job('test-nightly-2026-11-14')));
    const other = await bedrock.send(new CreateModelInvocationJobCommand(job('another-test-nightly-2026-11-14')));
    bedrock.destroy();
    const summary = await handler(scheduled('2026-11-15T02:00:00Z'));
    expect(summary.batch).toMatchObject({ status: 'already-started', jobArn: undefined });

    // No event comes. The next collection finds the job by name: still running, its ARN is kept in the marker.
    const lists = () => sim.controlPlaneCalls.filter((c) => c.operation === 'ListModelInvocationJobs').length;
    expect(await handler({ collect: true, time: '2026-11-15T03:00:00Z' })).toEqual({
      collected: [{ day: '2026-11-14', jobName: 'test-nightly-2026-11-14', jobArn, status: 'pending', jobStatus: 'Submitted' }],
    });
    expect(lists()).toBe(1);
    expect(await readJson('results/2026-11-14/_batch.json')).toMatchObject({ status: 'pending', jobArn });

    await sim.completeBatchJobs();
    const { collected } = await handler({ collect: true, time: '2026-11-16T02:00:00Z' });
    expect(collected).toEqual([expect.objectContaining({ day: '2026-11-14', jobArn, status: 'collected', jobStatus: 'Completed', processed: 100 })]);
    expect(collected[0].jobArn).not.toBe(other.jobArn);
    expect(lists()).toBe(1);
    expect(await readJson('results/2026-11-14/_batch.json')).toMatchObject({ status: 'collected', jobArn });
  });

  test('records named after the day\'s control files stay out of the batch, rejected without a result, and cannot overwrite them', async () => {
    await writeDay('2026-11-13', 100, { '_manifest': 'A record named _manifest.', '_batch': 'A record named _batch.', '_batch-records': 'A record named _batch-records.' });

    const summary = await handler(scheduled('2026-11-14T02:00:00Z'));
    expect(summary).toMatchObject({ mode: 'batch', records: 103, rejected: 3, batch: { status: 'started', records: 100, rejected: 3 } });
    expect(await exists('results/2026-11-13/_manifest.json')).toBe(false);
    expect(await readJson('results/2026-11-13/_batch.json')).toMatchObject({ status: 'pending', records: 100, rejected: 3 });
    expect((await readJson('results/2026-11-13/_batch-records.json')).records).toHaveLength(100);

    await sim.completeBatchJobs();
    const { collected } = await handler(stateChange('test-nightly-2026-11-13', summary.batch!.jobArn, 'Completed'));
    expect(collected).toEqual([expect.objectContaining({ status: 'collected', processed: 100, failed: 0 })]);
    expect(await readJson('results/2026-11-13/_manifest.json')).toMatchObject({ mode: 'batch', records: 103, submitted: 100, processed: 100, rejected: 3 });
    expect(await readJson('results/2026-11-13/_batch.json')).toMatchObject({ status: 'collected' });
    expect((await readJson('results/2026-11-13/_batch-records.json')).records).toHaveLength(100);
  });

  test('events about other jobs, and collect runs with nothing pending, do nothing', async () => {
    expect(await handler(stateChange('someone-elses-job', 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/aaaaaaaaaaaa', 'Completed'))).toEqual({ collected: [] });
    expect(await handler({ collect: true, time: '2026-11-03T02:00:00Z' })).toEqual({ collected: [] });
  });
});
