import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { answerBatchRecord, batchModelFamily, BatchOutputLine } from './batch-records';
import { BedrockError, validationError } from './errors';
import { resolveBaseModelId } from './models';
import { PromptCache } from './prompt-cache';
import { sha256Hex } from './random';

/** Options of the simulator's Bedrock control plane (batch inference jobs). */
export interface BatchSimulatorOptions {
  /**
   * Endpoint of the S3 that holds batch input and receives batch output, e.g. the local S3's endpoint (path-style,
   * dummy credentials). Without it (or `batchS3Client`) every batch job fails, as one would without S3 access.
   */
  readonly batchS3Endpoint?: string;
  /** An S3 client to read input and write output with; takes precedence over `batchS3Endpoint`. */
  readonly batchS3Client?: S3Client;
  /**
   * `'immediate'` (default): a job is processed while CreateModelInvocationJob is answered, so the first
   * GetModelInvocationJob reads its final status. `'manual'`: a job stays Submitted until `startBatchJobs()`
   * (InProgress) and `completeBatchJobs()` (processed), like a real job that takes hours.
   */
  readonly batchCompletion?: 'immediate' | 'manual';
  /** Bedrock's "minimum number of records per batch inference job" quota. Default 100. */
  readonly batchMinimumRecords?: number;
}

/** Statuses a simulated job goes through (a subset of Bedrock's ModelInvocationJobStatus). */
export type SimulatedBatchJobStatus = 'Submitted' | 'InProgress' | 'Completed' | 'Failed';

/** A batch inference job the simulator holds. */
export interface SimulatedBatchJob {
  readonly jobArn: string;
  readonly jobName: string;
  readonly modelId: string;
  readonly roleArn: string;
  readonly clientRequestToken?: string;
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  /** The tags the job was created with (CreateModelInvocationJob's `tags`), in their order. */
  readonly tags: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  readonly status: SimulatedBatchJobStatus;
  /** Why the job failed. */
  readonly message?: string;
  readonly submitTime: number;
  readonly endTime?: number;
  readonly totalRecordCount?: number;
  readonly successRecordCount?: number;
  readonly errorRecordCount?: number;
  /** What the job billed, once completed: the tokens of its successful records (at the batch price). */
  readonly billedInputTokens?: number;
  readonly billedOutputTokens?: number;
}

/** One control-plane request the simulator answered. */
export interface SimulatedControlPlaneCall {
  readonly operation: 'CreateModelInvocationJob' | 'GetModelInvocationJob' | 'ListModelInvocationJobs' | 'Unknown';
  readonly status: number;
  readonly errorType?: string;
  readonly jobName?: string;
}

/** What the simulator adds for batch inference. */
export interface BatchSimulatorControls {
  /** A snapshot of every job created, oldest first. */
  readonly batchJobs: ReadonlyArray<SimulatedBatchJob>;
  /** A snapshot of every control-plane request answered, oldest first. */
  readonly controlPlaneCalls: ReadonlyArray<SimulatedControlPlaneCall>;
  /** Moves Submitted jobs to InProgress; returns how many moved. */
  startBatchJobs(): number;
  /** Processes every Submitted or InProgress job (writing its output to S3); returns how many it processed. */
  completeBatchJobs(): Promise<number>;
  /** Fails every Submitted or InProgress job with `message`, writing no output; returns how many failed. */
  failBatchJobs(message: string): number;
}

/** The region and account simulated job ARNs carry. */
export const SIMULATED_REGION = 'us-east-1';
/** The account simulated job ARNs carry (an AWS documentation account id). */
export const SIMULATED_ACCOUNT = '123456789012';

// Patterns from the CreateModelInvocationJob API reference.
const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const TOKEN = /^[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/;

type Json = Record<string, unknown>;

interface JobState extends SimulatedBatchJob {
  baseModelId: string;
  status: SimulatedBatchJobStatus;
  message?: string;
  endTime?: number;
  totalRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
  billedInputTokens?: number;
  billedOutputTokens?: number;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseS3Uri(uri: unknown, field: string): { bucket: string; key: string } {
  const match = typeof uri === 'string' ? S3_URI.exec(uri) : null;
  if (!match) throw validationError(`${field} must be an S3 URI such as s3://bucket/prefix/.`);
  return { bucket: match[1], key: match[2] };
}

// CreateModelInvocationJob's tags, checked against AWS's general tag limits (keys of 1 to 128 characters, values of
// up to 256, each key once), so that a job the runtime tags wrongly fails here as it would in AWS.
function parseTags(tags: unknown): Array<{ key: string; value: string }> {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw validationError('tags must be a list of {key, value} objects.');
  const parsed = tags.map((tag) => {
    if (!isObject(tag) || typeof tag.key !== 'string' || typeof tag.value !== 'string' || tag.key.length < 1 || tag.key.length > 128 || tag.value.length > 256) {
      throw validationError('Every tag needs a key of 1 to 128 characters and a value of at most 256.');
    }
    return { key: tag.key, value: tag.value };
  });
  if (new Set(parsed.map((t) => t.key)).size !== parsed.length) throw validationError('Tag keys must be unique.');
  return parsed;
}

/** A failure that ends a job (Failed), as opposed to a request Bedrock refuses outright. */
class JobFailure extends Error {}

/**
 * The batch inference jobs of one simulator: creation with Bedrock's synchronous checks (names, ARNs, duplicate
 * names), then validation and processing of the JSONL input from S3, writing `<output>/<jobId>/<file>.out` and
 * `manifest.json.out` as Bedrock does.
 */
export class BatchJobs {
  private readonly jobs: JobState[] = [];
  private readonly s3?: S3Client;
  private readonly ownsClient: boolean;
  private readonly minimumRecords: number;

  /** @param options the simulator options; `aliases` and `now` are shared with the runtime routes */
  public constructor(
    private readonly options: BatchSimulatorOptions,
    private readonly aliases: Readonly<Record<string, string>>,
    private readonly now: () => number,
  ) {
    this.minimumRecords = options.batchMinimumRecords ?? 100;
    if (!Number.isInteger(this.minimumRecords) || this.minimumRecords < 1) {
      throw new Error(`batchMinimumRecords must be a whole number of at least 1, got ${this.minimumRecords}.`);
    }
    this.ownsClient = !options.batchS3Client && Boolean(options.batchS3Endpoint);
    this.s3 = options.batchS3Client ?? (options.batchS3Endpoint
      ? new S3Client({
        region: SIMULATED_REGION,
        endpoint: options.batchS3Endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
      : undefined);
  }

  /** Snapshots of the jobs. */
  public get list(): ReadonlyArray<SimulatedBatchJob> {
    return this.jobs.map((job) => ({ ...job }));
  }

  /**
   * CreateModelInvocationJob. A repeated request (same name and client token) returns the existing job, as
   * Bedrock's idempotency token promises; another job with the same name is a ConflictException.
   */
  public async create(request: Json): Promise<{ jobArn: string }> {
    const jobName = request.jobName;
    if (typeof jobName !== 'string' || jobName.length > 63 || !JOB_NAME.test(jobName)) {
      throw validationError('jobName must be 1 to 63 letters, digits and hyphens (and + - . after the first character).');
    }
    const token = request.clientRequestToken;
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) throw validationError('clientRequestToken is malformed.');
    if (typeof request.roleArn !== 'string' || !ROLE_ARN.test(request.roleArn)) throw validationError('roleArn must be an IAM role ARN.');
    if (typeof request.modelId !== 'string') throw validationError('modelId is required.');
    const baseModelId = resolveBaseModelId(request.modelId, this.aliases);
    const input = isObject(request.inputDataConfig) && isObject(request.inputDataConfig.s3InputDataConfig) ? request.inputDataConfig.s3InputDataConfig : {};
    const output = isObject(request.outputDataConfig) && isObject(request.outputDataConfig.s3OutputDataConfig) ? request.outputDataConfig.s3OutputDataConfig : {};
    parseS3Uri(input.s3Uri, 'inputDataConfig.s3InputDataConfig.s3Uri');
    parseS3Uri(output.s3Uri, 'outputDataConfig.s3OutputDataConfig.s3Uri');
    const tags = parseTags(request.tags);

    const existing = this.jobs.find((job) => job.jobName === jobName);
    if (existing) {
      if (token !== undefined && existing.clientRequestToken === token) return { jobArn: existing.jobArn };
      throw new BedrockError('ConflictException', 400, `A batch inference job named ${jobName} already exists.`);
    }
    const jobId = sha256Hex('model-invocation-job', jobName, String(this.jobs.length)).slice(0, 12);
    const job: JobState = {
      jobArn: `arn:aws:bedrock:${SIMULATED_REGION}:${SIMULATED_ACCOUNT}:model-invocation-job/${jobId}`,
      jobName,
      modelId: request.modelId,
      baseModelId,
      roleArn: request.roleArn,
      clientRequestToken: token as string | undefined,
      inputS3Uri: input.s3Uri as string,
      outputS3Uri: output.s3Uri as string,
      tags,
      status: 'Submitted',
      submitTime: this.now(),
    };
    this.jobs.push(job);
    if ((this.options.batchCompletion ?? 'immediate') === 'immediate') await this.process(job);
    return { jobArn: job.jobArn };
  }

  /** GetModelInvocationJob, by ARN or job id. */
  public get(identifier: string): Json {
    const id = identifier.slice(identifier.lastIndexOf('/') + 1);
    const job = this.jobs.find((j) => j.jobArn.endsWith(`/${id}`));
    if (!job) throw new BedrockError('ResourceNotFoundException', 404, `The batch inference job ${identifier} was not found.`);
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      jobArn: job.jobArn,
      jobName: job.jobName,
      modelId: job.modelId,
      roleArn: job.roleArn,
      clientRequestToken: job.clientRequestToken,
      status: job.status,
      message: job.message,
      submitTime: iso(job.submitTime),
      lastModifiedTime: iso(job.endTime ?? job.submitTime),
      endTime: iso(job.endTime),
      inputDataConfig: { s3InputDataConfig: { s3Uri: job.inputS3Uri, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: job.outputS3Uri } },
      totalRecordCount: job.totalRecordCount,
      processedRecordCount: job.totalRecordCount,
      successRecordCount: job.successRecordCount,
      errorRecordCount: job.errorRecordCount,
    };
  }

  /** See {@link BatchSimulatorControls.startBatchJobs}. */
  public start(): number {
    const submitted = this.jobs.filter((job) => job.status === 'Submitted');
    for (const job of submitted) job.status = 'InProgress';
    return submitted.length;
  }

  /** See {@link BatchSimulatorControls.completeBatchJobs}. */
  public async complete(): Promise<number> {
    const open = this.jobs.filter((job) => job.status === 'Submitted' || job.status === 'InProgress');
    for (const job of open) await this.process(job);
    return open.length;
  }

  /** See {@link BatchSimulatorControls.failBatchJobs}. */
  public fail(message: string): number {
    const open = this.jobs.filter((job) => job.status === 'Submitted' || job.status === 'InProgress');
    for (const job of open) this.finish(job, 'Failed', message);
    return open.length;
  }

  /** Releases the S3 client the simulator created. */
  public close(): void {
    if (this.ownsClient) this.s3?.destroy();
  }

  private finish(job: JobState, status: SimulatedBatchJobStatus, message?: string): void {
    job.status = status;
    job.message = message;
    job.endTime = this.now();
  }

  // Validation (S3 access, JSONL shape, record quota) and inference; a validation failure fails the job.
  private async process(job: JobState): Promise<void> {
    try {
      if (!this.s3) throw new JobFailure(`Amazon Bedrock could not read ${job.inputS3Uri}: the simulator was started without batchS3Endpoint.`);
      if (!batchModelFamily(job.baseModelId)) throw new JobFailure(`The model ${job.modelId} does not support batch inference in the simulator.`);
      const files = await this.readInput(job);
      const total = files.reduce((sum, f) => sum + f.records.length, 0);
      if (total < this.minimumRecords) {
        throw new JobFailure(`The job has ${total} records; a batch inference job needs at least ${this.minimumRecords} records.`);
      }
      const out = parseS3Uri(job.outputS3Uri, 'outputDataConfig.s3OutputDataConfig.s3Uri');
      const prefix = `${out.key}${out.key === '' || out.key.endsWith('/') ? '' : '/'}${job.jobArn.slice(job.jobArn.lastIndexOf('/') + 1)}/`;
      const cache = new PromptCache(this.now);
      let success = 0;
      let inputTokens = 0;
      let outputTokens = 0;
      for (const file of files) {
        const lines: BatchOutputLine[] = file.records.map((r) => answerBatchRecord(job.baseModelId, r.recordId, r.modelInput, cache));
        for (const line of lines) {
          if (!line.modelOutput) continue;
          success++;
          const usage = line.modelOutput.usage as Json;
          inputTokens += Number(usage.input_tokens ?? usage.inputTokens ?? 0);
          outputTokens += Number(usage.output_tokens ?? usage.outputTokens ?? 0);
        }
        await this.put(out.bucket, `${prefix}${file.name}.out`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      }
      const manifest = { totalRecordCount: total, processedRecordCount: total, successRecordCount: success, errorRecordCount: total - success, inputTokenCount: inputTokens, outputTokenCount: outputTokens };
      await this.put(out.bucket, `${prefix}manifest.json.out`, JSON.stringify(manifest));
      job.totalRecordCount = total;
      job.successRecordCount = success;
      job.errorRecordCount = total - success;
      job.billedInputTokens = inputTokens;
      job.billedOutputTokens = outputTokens;
      this.finish(job, 'Completed');
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      this.finish(job, 'Failed', error.message);
    }
  }

  private async readInput(job: JobState): Promise<Array<{ name: string; records: Array<{ recordId: string; modelInput: unknown }> }>> {
    const { bucket, key } = parseS3Uri(job.inputS3Uri, 'inputDataConfig.s3InputDataConfig.s3Uri');
    const keys: string[] = [];
    if (key === '' || key.endsWith('/')) {
      let token: string | undefined;
      do {
        const page = await this.s3!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token })).catch((e) => this.inputError(job, e));
        for (const object of page.Contents ?? []) if (object.Key?.endsWith('.jsonl')) keys.push(object.Key);
        token = page.NextContinuationToken;
      } while (token);
      if (keys.length === 0) throw new JobFailure(`No .jsonl file was found under ${job.inputS3Uri}.`);
    } else {
      if (!key.endsWith('.jsonl')) throw new JobFailure(`The input file ${job.inputS3Uri} must have the .jsonl extension.`);
      keys.push(key);
    }
    const files = [];
    let generated = 0;
    for (const objectKey of keys) {
      const object = await this.s3!.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey })).catch((e) => this.inputError(job, e));
      const text = await object.Body!.transformToString('utf8');
      const records = text.split('\n').map((line, i) => ({ line: line.trim(), number: i + 1 })).filter((l) => l.line !== '').map(({ line, number }) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new JobFailure(`Line ${number} of ${objectKey} is not valid JSON.`);
        }
        if (!isObject(parsed) || !isObject(parsed.modelInput)) throw new JobFailure(`Line ${number} of ${objectKey} needs a modelInput object.`);
        if (parsed.recordId !== undefined && (typeof parsed.recordId !== 'string' || parsed.recordId === '')) {
          throw new JobFailure(`Line ${number} of ${objectKey} has a recordId that is not a non-empty string.`);
        }
        // Bedrock adds a record id to records without one.
        const recordId = (parsed.recordId as string | undefined) ?? `GEN${String(++generated).padStart(8, '0')}`;
        return { recordId, modelInput: parsed.modelInput };
      });
      files.push({ name: objectKey.slice(objectKey.lastIndexOf('/') + 1), records });
    }
    return files;
  }

  private inputError(job: JobState, error: unknown): never {
    throw new JobFailure(`Amazon Bedrock could not read ${job.inputS3Uri}: ${(error as Error)?.name ?? String(error)}.`);
  }

  private async put(bucket: string, key: string, body: string): Promise<void> {
    try {
      await this.s3!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
    } catch (error) {
      throw new JobFailure(`Amazon Bedrock could not write s3://${bucket}/${key}: ${(error as Error)?.name ?? String(error)}.`);
    }
  }
}
