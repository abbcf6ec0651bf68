import {
  BedrockClient,
  ConflictException,
  CreateModelInvocationJobCommand,
  CreateModelInvocationJobCommandInput,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-bedrock';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';
import { localS3ClientConfig, startLocalS3, type LocalS3 } from '../../../packages/local/src/services/s3-local';
import { clientFor, rejectionOf } from './support';

const HAIKU = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const NOVA = 'amazon.nova-micro-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/batch-service-role';
const BUCKET = 'batch-bucket';

type Simulator = Awaited<ReturnType<typeof startBedrockSimulator>>;

function anthropicLine(recordId: string, text: string, maxTokens = 1000): string {
  return JSON.stringify({
    recordId,
    modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: maxTokens, system: 'Summarise.', messages: [{ role: 'user', content: [{ type: 'text', text }] }] },
  });
}

function novaLine(recordId: string, text: string): string {
  return JSON.stringify({
    recordId,
    modelInput: { schemaVersion: 'messages-v1', system: [{ text: 'Summarise.' }], messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 1000 } },
  });
}

const records = (count: number, line: (id: string, text: string) => string = anthropicLine) =>
  Array.from({ length: count }, (_, i) => line(`REC${String(i).padStart(5, '0')}`, `Record number ${i} about monthly spend.`)).join('\n') + '\n';

describe('Bedrock simulator: batch inference jobs (control plane)', () => {
  let s3Server: LocalS3;
  let s3: S3Client;
  let sim: Simulator;
  let bedrock: BedrockClient;
  let sequence = 0;

  const jobInput = (inputKey: string, overrides: Partial<CreateModelInvocationJobCommandInput> = {}): CreateModelInvocationJobCommandInput => ({
    jobName: `job-${++sequence}`,
    roleArn: ROLE,
    modelId: HAIKU,
    inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${BUCKET}/${inputKey}` } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/output/${sequence}/` } },
    ...overrides,
  });
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('utf8');
  const jobId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

  beforeAll(async () => {
    s3Server = await startLocalS3();
    s3 = new S3Client(localS3ClientConfig(s3Server.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    sim = await startBedrockSimulator({ batchS3Endpoint: s3Server.endpoint });
    bedrock = new BedrockClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    bedrock.destroy();
    s3.destroy();
    await sim.close();
    await s3Server.stop();
  });

  test('runs a job like Bedrock: JSONL in, <jobId>/<file>.out and manifest.json.out written, Completed with counts', async () => {
    await put('in/a/records.jsonl', records(100));
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/a/records.jsonl')));
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:\d{12}:model-invocation-job\/[a-z0-9]{12}$/);

    const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect(job).toMatchObject({ jobArn, status: 'Completed', modelId: HAIKU, roleArn: ROLE, totalRecordCount: 100, successRecordCount: 100, errorRecordCount: 0 });
    expect(job.submitTime).toBeInstanceOf(Date);

    const out = (await read(`output/${sequence}/${jobId(jobArn!)}/records.jsonl.out`)).trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(100);
    expect(out[0]).toMatchObject({ recordId: 'REC00000', modelInput: { anthropic_version: 'bedrock-2023-05-31' } });
    expect(out[0].modelOutput).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text' }], stop_reason: 'end_turn' });
    const manifest = JSON.parse(await read(`output/${sequence}/${jobId(jobArn!)}/manifest.json.out`));
    expect(manifest).toEqual({
      totalRecordCount: 100, processedRecordCount: 100, successRecordCount: 100, errorRecordCount: 0,
      inputTokenCount: out.reduce((s, l) => s + l.modelOutput.usage.input_tokens, 0),
      outputTokenCount: out.reduce((s, l) => s + l.modelOutput.usage.output_tokens, 0),
    });
  });

  test('a record is answered with the same text and usage as the runtime Converse gives the same prompt', async () => {
    await put('in/b/records.jsonl', records(100));
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/b/records.jsonl')));
    const line = JSON.parse((await read(`output/${sequence}/${jobId(jobArn!)}/records.jsonl.out`)).split('\n')[7]);

    const runtime = clientFor(sim);
    const converse = await runtime.send(new ConverseCommand({
      modelId: HAIKU,
      system: [{ text: 'Summarise.' }],
      messages: [{ role: 'user', content: [{ text: 'Record number 7 about monthly spend.' }] }],
      inferenceConfig: { maxTokens: 1000 },
    }));
    runtime.destroy();
    expect(line.modelOutput.content[0].text).toBe(converse.output?.message?.content?.[0]?.text);
    expect(line.modelOutput.usage).toEqual({ input_tokens: converse.usage?.inputTokens, output_tokens: converse.usage?.outputTokens });
  });

  test('Amazon Nova records get Nova response bodies', async () => {
    await put('in/c/records.jsonl', records(100, novaLine));
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/c/records.jsonl', { modelId: NOVA })));
    const line = JSON.parse((await read(`output/${sequence}/${jobId(jobArn!)}/records.jsonl.out`)).split('\n')[0]);
    expect(line.modelOutput).toMatchObject({ output: { message: { role: 'assistant', content: [{ text: expect.any(String) }] } }, stopReason: 'end_turn' });
    expect(line.modelOutput.usage.totalTokens).toBe(line.modelOutput.usage.inputTokens + line.modelOutput.usage.outputTokens);
  });

  test('a folder input processes every .jsonl file under it', async () => {
    await put('in/d/part-1.jsonl', records(60));
    await put('in/d/part-2.jsonl', records(60));
    await put('in/d/notes.txt', 'not input');
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/d/')));
    expect((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).totalRecordCount).toBe(120);
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `output/${sequence}/` }))).Contents!.map((o) => o.Key!.split('/').pop());
    expect(keys.sort()).toEqual(['manifest.json.out', 'part-1.jsonl.out', 'part-2.jsonl.out']);
  });

  test('a duplicate job name is a ConflictException; a retry with the same client token returns the same job', async () => {
    await put('in/e/records.jsonl', records(100));
    const input = jobInput('in/e/records.jsonl', { clientRequestToken: 'nightly-2026-11-27' });
    const first = await bedrock.send(new CreateModelInvocationJobCommand(input));
    const retry = await bedrock.send(new CreateModelInvocationJobCommand(input));
    expect(retry.jobArn).toBe(first.jobArn);

    const conflict = await rejectionOf(bedrock.send(new CreateModelInvocationJobCommand({ ...input, clientRequestToken: 'another-token' })));
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.message).toContain(input.jobName);
    expect(sim.batchJobs.filter((j) => j.jobName === input.jobName)).toHaveLength(1);
  });

  test('too few records, a line that is not JSON and an unreadable input fail the job with a message', async () => {
    await put('in/f/records.jsonl', records(99));
    await put('in/g/records.jsonl', `${records(100)}{not json\n`);
    const tooFew = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/f/records.jsonl')));
    const notJson = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/g/records.jsonl')));
    const missing = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/none/records.jsonl')));

    const get = (jobArn?: string) => bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect(await get(tooFew.jobArn)).toMatchObject({ status: 'Failed', message: expect.stringContaining('at least 100 records') });
    expect(await get(notJson.jobArn)).toMatchObject({ status: 'Failed', message: expect.stringContaining('Line 101') });
    expect(await get(missing.jobArn)).toMatchObject({ status: 'Failed', message: expect.stringContaining('NoSuchKey') });
  });

  test('a record whose modelInput does not fit the model gets an error line, the others are answered', async () => {
    const bad = JSON.stringify({ recordId: 'BAD', modelInput: { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } });
    await put('in/h/records.jsonl', `${records(100)}${bad}\n`);
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/h/records.jsonl')));
    const lines = (await read(`output/${sequence}/${jobId(jobArn!)}/records.jsonl.out`)).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.recordId === 'BAD')).toEqual({
      recordId: 'BAD', modelInput: expect.any(Object), error: { errorCode: 400, errorMessage: "anthropic_version must be 'bedrock-2023-05-31'." },
    });
    expect(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).toMatchObject({ status: 'Completed', successRecordCount: 100, errorRecordCount: 1 });
  });

  test('refuses malformed requests and unknown jobs like Bedrock', async () => {
    await expect(bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/a/records.jsonl', { jobName: 'bad name!' })))).rejects.toBeInstanceOf(ValidationException);
    await expect(bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/a/records.jsonl', { roleArn: 'not-a-role' })))).rejects.toBeInstanceOf(ValidationException);
    await expect(bedrock.send(new CreateModelInvocationJobCommand(jobInput('https://example.com/x.jsonl' as string, {
      inputDataConfig: { s3InputDataConfig: { s3Uri: 'https://example.com/x.jsonl' } },
    })))).rejects.toBeInstanceOf(ValidationException);
    await expect(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    // StopModelInvocationJob is not emulated.
    const response = await fetch(`${sim.endpoint}/model-invocation-job/abcdefabcdef/stop`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('UnknownOperationException');
  });

  test('keeps the tags a job is created with, and refuses duplicate keys and oversize values', async () => {
    await put('in/tags/records.jsonl', records(100));
    const tags = [{ key: 'Application', value: 'support' }, { key: 'InferenceType', value: 'batch' }];
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/tags/records.jsonl', { tags })));
    expect(sim.batchJobs.find((j) => j.jobArn === jobArn)?.tags).toEqual(tags);

    await expect(bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/tags/records.jsonl', { tags: [tags[0], tags[0]] })))).rejects.toBeInstanceOf(ValidationException);
    await expect(bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/tags/records.jsonl', { tags: [{ key: 'Team', value: 'x'.repeat(257) }] })))).rejects.toBeInstanceOf(ValidationException);
  });

  test('lists jobs whose name contains a string, newest first, a page at a time', async () => {
    await put('in/l/records.jsonl', records(100));
    const older = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/l/records.jsonl', { jobName: 'listed-2026-11-27' })));
    const newer = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('in/l/records.jsonl', { jobName: 'also-listed-2026-11-27' })));

    const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'listed-2026-11-27' }));
    expect(listed.invocationJobSummaries?.map((j) => [j.jobName, j.jobArn])).toEqual([['also-listed-2026-11-27', newer.jobArn], ['listed-2026-11-27', older.jobArn]]);
    expect(listed.invocationJobSummaries?.[1]).toMatchObject({ status: 'Completed', modelId: HAIKU, roleArn: ROLE, totalRecordCount: 100 });
    expect(listed.invocationJobSummaries?.[1].submitTime).toBeInstanceOf(Date);
    expect(listed.nextToken).toBeUndefined();

    const first = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'listed-2026-11-27', sortOrder: 'Ascending', maxResults: 1 }));
    expect(first.invocationJobSummaries?.map((j) => j.jobName)).toEqual(['listed-2026-11-27']);
    const second = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'listed-2026-11-27', sortOrder: 'Ascending', maxResults: 1, nextToken: first.nextToken }));
    expect(second.invocationJobSummaries?.map((j) => j.jobName)).toEqual(['also-listed-2026-11-27']);
    expect(second.nextToken).toBeUndefined();
    expect((await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'no-such-job' }))).invocationJobSummaries).toEqual([]);
    expect(sim.controlPlaneCalls.at(-1)).toEqual({ operation: 'ListModelInvocationJobs', status: 200 });
  });

  test('control-plane requests are logged apart from the runtime call log', async () => {
    const before = sim.controlPlaneCalls.length;
    const runtimeCalls = sim.calls.length;
    await rejectionOf(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' })));
    expect(sim.controlPlaneCalls.slice(before)).toEqual([{ operation: 'GetModelInvocationJob', status: 404, errorType: 'ResourceNotFoundException' }]);
    expect(sim.calls).toHaveLength(runtimeCalls);
  });
});

describe('Bedrock simulator: batch jobs completed on demand', () => {
  let s3Server: LocalS3;
  let s3: S3Client;
  let sim: Simulator;
  let bedrock: BedrockClient;

  beforeAll(async () => {
    s3Server = await startLocalS3();
    s3 = new S3Client(localS3ClientConfig(s3Server.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in/records.jsonl', Body: records(100) }));
    sim = await startBedrockSimulator({ batchS3Client: s3, batchCompletion: 'manual' });
    bedrock = new BedrockClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });
  afterAll(async () => {
    bedrock.destroy();
    await sim.close();
    s3.destroy();
    await s3Server.stop();
  });

  const create = (jobName: string) => bedrock.send(new CreateModelInvocationJobCommand({
    jobName,
    roleArn: ROLE,
    modelId: HAIKU,
    inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${BUCKET}/in/records.jsonl` } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/out/${jobName}/` } },
  }));
  const status = async (jobArn?: string) => (await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status;

  test('Submitted, then InProgress, then Completed with its output', async () => {
    const { jobArn } = await create('manual-1');
    expect(await status(jobArn)).toBe('Submitted');
    expect(sim.startBatchJobs()).toBe(1);
    expect(await status(jobArn)).toBe('InProgress');
    expect(await sim.completeBatchJobs()).toBe(1);
    expect(await status(jobArn)).toBe('Completed');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'out/manual-1/' }));
    expect(listed.KeyCount).toBe(2);
  });

  test('failBatchJobs fails open jobs with the message and writes nothing', async () => {
    const { jobArn } = await create('manual-2');
    expect(sim.failBatchJobs('Simulated outage.')).toBe(1);
    expect(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).toMatchObject({ status: 'Failed', message: 'Simulated outage.' });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'out/manual-2/' }))).KeyCount).toBe(0);
  });

  test('without S3 every job fails, as one without access to its input would', async () => {
    const bare = await startBedrockSimulator();
    const client = new BedrockClient({ region: 'us-east-1', endpoint: bare.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { jobArn } = await client.send(new CreateModelInvocationJobCommand({
      jobName: 'no-s3', roleArn: ROLE, modelId: HAIKU,
      inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${BUCKET}/in/records.jsonl` } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/out/` } },
    }));
    expect(await client.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).toMatchObject({ status: 'Failed', message: expect.stringContaining('batchS3Endpoint') });
    client.destroy();
    await bare.close();
  });
});
