import { randomUUID } from 'node:crypto';
import { BatchJobs, BatchSimulatorControls, BatchSimulatorOptions, SimulatedControlPlaneCall } from './batch-jobs';
import { BedrockError, BedrockMessages, validationError } from './errors';
import { IncomingRequest, OutgoingReply } from './transport';

// The control-plane paths of batch inference (see @aws-sdk/client-bedrock's operation schemas).
const OWNED = /^\/model-invocation-jobs?(?:[/?]|$)/;
const CREATE = /^\/model-invocation-job\/?(?:\?.*)?$/;
const GET = /^\/model-invocation-job\/([^/?#]+)(?:\?.*)?$/;
const LIST = /^\/model-invocation-jobs\/?(?:\?.*)?$/;
// The largest ListModelInvocationJobs page Bedrock allows; the simulator's page size when maxResults is absent.
const LIST_MAX_RESULTS = 1000;
// As in the runtime routes: the SDK keeps what precedes the first ':' of x-amzn-errortype.
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

/**
 * The Bedrock control-plane routes the simulator serves next to the runtime ones, on the same port:
 * CreateModelInvocationJob (`POST /model-invocation-job`), GetModelInvocationJob
 * (`GET /model-invocation-job/{jobIdentifier}`) and ListModelInvocationJobs (`GET /model-invocation-jobs`, with
 * `nameContains`, `statusEquals`, `sortOrder`, `maxResults` and `nextToken`). Other control-plane operations answer
 * UnknownOperationException.
 */
export class BatchControlPlane {
  private readonly jobs: BatchJobs;
  private readonly log: SimulatedControlPlaneCall[] = [];

  /** @param options the simulator options */
  public constructor(options: BatchSimulatorOptions & { readonly modelAliases?: Record<string, string>; readonly now?: () => number }) {
    this.jobs = new BatchJobs(options, { ...(options.modelAliases ?? {}) }, options.now ?? Date.now);
  }

  /** Whether `request` is for a control-plane path this class answers. */
  public owns(request: IncomingRequest): boolean {
    return OWNED.test(request.url);
  }

  /** Answers one control-plane request. Never throws. */
  public async handle(request: IncomingRequest): Promise<OutgoingReply> {
    const requestId = randomUUID();
    const call: { operation: SimulatedControlPlaneCall['operation']; jobName?: string } = { operation: 'Unknown' };
    let reply: OutgoingReply;
    let errorType: string | undefined;
    try {
      const body = await this.dispatch(request, call);
      reply = { status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId }, body: JSON.stringify(body) };
    } catch (err) {
      const error = err instanceof BedrockError ? err : new BedrockError('InternalServerException', 500, `Simulator failure: ${String(err)}`);
      errorType = error.errorType;
      reply = {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': `${error.errorType}${ERROR_TYPE_SUFFIX}` },
        body: JSON.stringify({ message: error.message }),
      };
    }
    this.log.push({ ...call, status: reply.status, ...(errorType ? { errorType } : {}) });
    return reply;
  }

  /** The controls the simulator exposes for batch jobs. */
  public controls(): BatchSimulatorControls {
    const jobs = this.jobs;
    const log = this.log;
    return {
      get batchJobs() {
        return jobs.list;
      },
      get controlPlaneCalls() {
        return [...log];
      },
      startBatchJobs: () => jobs.start(),
      completeBatchJobs: () => jobs.complete(),
      failBatchJobs: (message: string) => jobs.fail(message),
    };
  }

  /** Releases what the control plane holds (its S3 client). */
  public close(): void {
    this.jobs.close();
  }

  private async dispatch(request: IncomingRequest, call: { operation: SimulatedControlPlaneCall['operation']; jobName?: string }): Promise<unknown> {
    if (request.method === 'POST' && CREATE.test(request.url)) {
      call.operation = 'CreateModelInvocationJob';
      const json = parseBody(request);
      if (typeof json.jobName === 'string') call.jobName = json.jobName;
      return this.jobs.create(json);
    }
    const get = request.method === 'GET' ? GET.exec(request.url) : null;
    if (get) {
      call.operation = 'GetModelInvocationJob';
      let identifier: string;
      try {
        identifier = decodeURIComponent(get[1]);
      } catch {
        throw validationError('The job identifier is malformed.');
      }
      return this.jobs.get(identifier);
    }
    if (request.method === 'GET' && LIST.test(request.url)) {
      call.operation = 'ListModelInvocationJobs';
      return this.list(new URL(request.url, 'http://simulator').searchParams);
    }
    throw new BedrockError('UnknownOperationException', 404, `The simulator does not emulate the control-plane operation ${request.method} ${request.url}.`);
  }

  // ListModelInvocationJobs: the jobs' summaries (GetModelInvocationJob's fields), newest first unless Ascending.
  private list(query: URLSearchParams): unknown {
    const nameContains = query.get('nameContains');
    const statusEquals = query.get('statusEquals');
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : LIST_MAX_RESULTS;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > LIST_MAX_RESULTS) throw validationError(`maxResults must be a whole number from 1 to ${LIST_MAX_RESULTS}.`);
    const start = query.has('nextToken') ? Number(query.get('nextToken')) : 0;
    if (!Number.isInteger(start) || start < 0) throw validationError('The nextToken is invalid.');
    const jobs = this.jobs.list
      .filter((job) => (nameContains === null || job.jobName.includes(nameContains)) && (statusEquals === null || job.status === statusEquals))
      .map((job, created) => ({ job, created }))
      .sort((a, b) => (a.job.submitTime - b.job.submitTime || a.created - b.created) * (query.get('sortOrder') === 'Ascending' ? 1 : -1))
      .map(({ job }) => this.jobs.get(job.jobArn));
    const page = jobs.slice(start, start + maxResults);
    return { invocationJobSummaries: page, ...(start + maxResults < jobs.length ? { nextToken: String(start + maxResults) } : {}) };
  }
}

function parseBody(request: IncomingRequest): Record<string, unknown> {
  if (request.bodyTooLarge) throw validationError('The request body is too large.');
  let parsed: unknown;
  try {
    parsed = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
  } catch {
    throw validationError(BedrockMessages.malformedInput);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw validationError(BedrockMessages.malformedInput);
  return parsed as Record<string, unknown>;
}
