import { randomUUID } from 'node:crypto';
import { BatchJobs, BatchSimulatorControls, BatchSimulatorOptions, SimulatedControlPlaneCall } from './batch-jobs';
import { BedrockError, BedrockMessages, validationError } from './errors';
import { IncomingRequest, OutgoingReply } from './transport';

// The control-plane paths of batch inference (see @aws-sdk/client-bedrock's operation schemas).
const OWNED = /^\/model-invocation-jobs?(?:[/?]|$)/;
const CREATE = /^\/model-invocation-job\/?(?:\?.*)?$/;
const GET = /^\/model-invocation-job\/([^/?#]+)(?:\?.*)?$/;
// As in the runtime routes: the SDK keeps what precedes the first ':' of x-amzn-errortype.
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

/**
 * The Bedrock control-plane routes the simulator serves next to the runtime ones, on the same port:
 * CreateModelInvocationJob (`POST /model-invocation-job`) and GetModelInvocationJob
 * (`GET /model-invocation-job/{jobIdentifier}`). Other control-plane operations answer UnknownOperationException.
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
    throw new BedrockError('UnknownOperationException', 404, `The simulator does not emulate the control-plane operation ${request.method} ${request.url}.`);
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
