import { Annotations, Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { BATCH_PREFIX, BEDROCK_MINIMUM_BATCH_RECORDS, DEFAULT_INPUT_PREFIX, DEFAULT_RESULTS_PREFIX, DEFERRED_PREFIX, ENV } from '../../shared/contract';
import { BundledHandler } from '../private/bundled-handler';
import { BedrockModel } from '../inference';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { GenAiWorkflowBase } from './genai-workflow-base';
import { GenAiWorkflowProps } from './genai-workflow-props';
import { grantListPrefix, grantPutObjects, grantReadObjects } from './object-grants';
import { createSecureBucket } from '../private/secure-bucket';
import { createWorkflowRuntime } from './workflow-runtime';
import { API_ONLY_PROP_KINDS, WORKFLOW_PROP_KINDS } from './workflow-prop-kinds';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link ScheduledWorkflow}. */
export interface ScheduledWorkflowProps extends GenAiWorkflowProps {
  /**
   * When the workflow runs.
   * @default - daily at 02:00 UTC
   */
  readonly schedule?: events.Schedule;
  /**
   * The bucket holding the records; each day's records are under `<inputPrefix>YYYY-MM-DD/`. A record's result is
   * `<resultsPrefix>YYYY-MM-DD/<name>.json`, so the names `_manifest`, `_batch` and `_batch-records` are reserved for
   * the day's control files, and names starting with `deferred-` for the results of deferred API calls: such a record
   * is rejected (code `RESERVED_NAME`, counted in the manifest) and gets no result. The API's deferred calls
   * (`deferred/YYYY-MM-DD/`, which only the API's role may write) run with the day as their tenants' requests, when
   * an ApiWorkflow defers to this one: the construct's own bucket then denies every other writer there; for a bucket
   * given here, synthesis warns (`genai-finops:deferred-prefix-unprotected`) that its policy must do so.
   * @default - a new encrypted, TLS-only, versioned bucket with public access blocked and access logs
   */
  readonly existingInputBucket?: s3.IBucket;
  /**
   * The prefix of the dated record folders; it may not start with `deferred/`, the API's deferred calls' prefix.
   * @default 'records/'
   */
  readonly inputPrefix?: string;
  /**
   * The bucket results are written to, under `<resultsPrefix>YYYY-MM-DD/`.
   * @default - a new bucket with the same defaults as the input bucket
   */
  readonly existingResultsBucket?: s3.IBucket;
  /**
   * The prefix of the dated result folders.
   * @default 'results/'
   */
  readonly resultsPrefix?: string;
  /**
   * Run a day as one Bedrock batch inference job, at the batch price (half the on-demand price for the models in
   * the catalog), when it has at least `batchMinimumRecords` records; a smaller day runs on demand through the
   * request pipeline. The job runs the simple tier's model (or `model`), which must be Anthropic Claude or Amazon
   * Nova: the families whose native request format the runtime writes. Its input and output live under `batch/` in
   * the results bucket; results are collected when Bedrock reports the job finished, or by the next run.
   * @default true (for other model families batch inference stays off)
   */
  readonly batchInference?: boolean;
  /**
   * The fewest records a day needs to run as a batch job. Bedrock's minimum number of records per batch inference
   * job is 100 (a service quota), so a smaller value cannot work.
   * @default 100
   */
  readonly batchMinimumRecords?: number;
}

// Batch input (`batch/input/<day>/`) and output (`batch/output/<day>/`) in the results bucket.
const BATCH_INPUT_PREFIX = `${BATCH_PREFIX}input/`;
const BATCH_OUTPUT_PREFIX = `${BATCH_PREFIX}output/`;

/**
 * EventBridge schedule → Lambda that processes the day's records with Bedrock → results in S3.
 *
 * A run at 02:00 UTC processes the UTC day that just ended: the records under `<inputPrefix>YYYY-MM-DD/`.
 */
export class ScheduledWorkflow extends GenAiWorkflowBase {
  /** The bucket holding the records. */
  public readonly inputBucket: s3.IBucket;
  /** The bucket results are written to. */
  public readonly resultsBucket: s3.IBucket;
  /** The prefix of the dated result folders (`resultsPrefix`): an API that defers to this workflow reads there. */
  public readonly resultsPrefix: string;
  /** The schedule rule. */
  public readonly rule: events.Rule;
  /** The role Bedrock assumes to run the batch jobs, when batch inference is on. */
  public readonly batchRole?: iam.Role;
  /** The rule that invokes the handler when one of Bedrock's batch jobs changes state, when batch inference is on. */
  public readonly batchJobRule?: events.Rule;
  private readonly handlerFunction: lambda.Function;
  // Whether the input bucket is the construct's own (its policy is then the construct's to write).
  private readonly ownsInputBucket: boolean;
  // The roles of the APIs that defer to this workflow (`deferTo`): the only principals that may write `deferred/`.
  private readonly deferringRoleArns: string[] = [];

  constructor(scope: Construct, id: string, props: ScheduledWorkflowProps = {}) {
    super(scope, id);
    checkProps(this, 'ScheduledWorkflowProps', props, { ...SCHEDULED_WORKFLOW_PROP_KINDS, ...API_ONLY_PROP_KINDS });
    const inputPrefix = validateInputPrefix(this, props.inputPrefix ?? DEFAULT_INPUT_PREFIX);
    const resultsPrefix = validatePrefix(this, 'resultsPrefix', props.resultsPrefix ?? DEFAULT_RESULTS_PREFIX);
    this.resultsPrefix = resultsPrefix;
    const batchMinimumRecords = validateBatchMinimum(this, props.batchMinimumRecords);

    const accessLogs = props.existingInputBucket && props.existingResultsBucket
      ? undefined
      : createSecureBucket(this, 'AccessLogs', {});
    this.inputBucket = props.existingInputBucket ?? createSecureBucket(this, 'InputBucket', { accessLogsBucket: accessLogs });
    this.ownsInputBucket = props.existingInputBucket === undefined;
    this.resultsBucket = props.existingResultsBucket ?? createSecureBucket(this, 'ResultsBucket', { accessLogsBucket: accessLogs });

    const runtime = createWorkflowRuntime(this, props, {
      bundledHandler: BundledHandler.SCHEDULED,
      inferenceType: 'batch',
      defaultTimeout: Duration.minutes(15),
      createResponseCache: false,
      environment: {
        [ENV.inputBucket]: this.inputBucket.bucketName,
        [ENV.inputPrefix]: inputPrefix,
        [ENV.resultsBucket]: this.resultsBucket.bucketName,
        [ENV.resultsPrefix]: resultsPrefix,
      },
    });
    this._useRuntime(runtime);
    this.handlerFunction = runtime.handler.function;
    grantListPrefix(this.inputBucket, this.role, inputPrefix);
    grantReadObjects(this.inputBucket, this.role, inputPrefix);
    grantPutObjects(this.resultsBucket, this.role, resultsPrefix);
    // The handler reads results back: a record whose result exists is not processed (nor paid for) again.
    grantReadObjects(this.resultsBucket, this.role, resultsPrefix);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Daily GenAI batch for ${this.node.path}`,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '2' }),
    });
    // EventBridge invokes the handler asynchronously; its retry policy covers delivering the event to Lambda, not
    // errors of the function.
    this.rule.addTarget(new targets.LambdaFunction(this.handler, { retryAttempts: 1, maxEventAge: Duration.hours(1) }));
    // Lambda retries a failed asynchronous invocation itself (a throttled model, a run that ran short of time and
    // failed on purpose). A retry costs no record twice: the handler skips records whose result exists, a batch
    // day's marker stops a second job, and a collected job is marked so. After the last retry the event goes to the
    // function's dead-letter queue; invoking the function with it again continues the day.
    this.handler.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });

    // Batch jobs run the model by id or system-defined profile, not the application profile: Bedrock lists only
    // foundation models and cross-Region profiles for CreateModelInvocationJob
    // (https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-supported.html). Their tokens are
    // attributed by IAM principal instead (CUR 2.0 line_item_iam_principal and the iamPrincipal/ tags): the handler's
    // role and the batch service role are this workflow's own, and carry its tags.
    const batchModel = this.profile.model;
    if (batchEnabled(this, props.batchInference, batchModel)) {
      const jobPrefix = jobNamePrefix(this);
      this.batchRole = this.grantBatchInference(runtime.handler.function, batchModel, resultsPrefix, batchMinimumRecords, jobPrefix);
      // Bedrock reports every job's state changes on the default bus; the rule passes on only this workflow's
      // (their names are `<jobPrefix>-YYYY-MM-DD`), so another workflow's jobs cost no invocation. The handler still
      // checks the name, and the next scheduled run collects whatever an event missed.
      this.batchJobRule = new events.Rule(this, 'BatchJobStateChange', {
        description: `Collects the Bedrock batch jobs of ${this.node.path} when they finish`,
        eventPattern: {
          source: ['aws.bedrock'],
          detailType: ['Batch Inference Job State Change'],
          detail: { batchJobName: events.Match.prefix(`${jobPrefix}-`) },
        },
      });
      this.batchJobRule.addTarget(new targets.LambdaFunction(this.handler, { retryAttempts: 2, maxEventAge: Duration.hours(6) }));
    }
  }

  /**
   * Called by an `ApiWorkflow` whose `deferTo` is this workflow, with the role that writes the deferred records. The
   * run reads `deferred/` only from then on (`GENAI_ACCEPTS_DEFERRED`; read-only rights: a record's identity is
   * trusted because the scheduled role cannot write one), and on the construct's own input bucket no principal but a
   * deferring API's role may write or delete there; a bucket brought with `existingInputBucket` gets a warning
   * saying what its policy must add.
   * @internal
   */
  public _acceptDeferredFrom(api: IConstruct, role: iam.IRole): void {
    if (this.ownsInputBucket && Stack.of(api) !== Stack.of(this)) {
      // The bucket policy would name the API's role (this stack depending on the API's) while the API names the
      // buckets (the API's stack depending on this one): a cycle CloudFormation cannot deploy.
      throw new Error(`${api.node.path}: deferTo is ${this.node.path}, in another stack (${Stack.of(this).stackName}), whose input bucket policy must name this API's role as the only writer of '${DEFERRED_PREFIX}' (each record there runs as the tenant it names); each stack would then depend on the other. Fix: define the ApiWorkflow in the same stack as the ScheduledWorkflow it defers to, or give the ScheduledWorkflow existingInputBucket and deny writes to '${DEFERRED_PREFIX}*' to every other principal in that bucket's policy.`);
    }
    if (this.deferringRoleArns.length === 0) {
      this.handlerFunction.addEnvironment(ENV.acceptsDeferred, 'true');
      grantListPrefix(this.inputBucket, this.role, DEFERRED_PREFIX);
      grantReadObjects(this.inputBucket, this.role, DEFERRED_PREFIX);
      if (this.ownsInputBucket) this.denyDeferredWritesToOthers();
    }
    if (!this.ownsInputBucket) {
      Annotations.of(this).addWarningV2('genai-finops:deferred-prefix-unprotected',
        `${api.node.path} defers calls to this workflow, whose input bucket was brought with existingInputBucket: each record under '${DEFERRED_PREFIX}' runs as the tenant it names, so anyone who may put objects there (e.g. through grantPut) can charge any tenant. `
        + `Fix: add to that bucket's policy a Deny of s3:PutObject, s3:DeleteObject and s3:DeleteObjectVersion on '<bucket ARN>/${DEFERRED_PREFIX}*' for Principal '*' with the condition ArnNotEquals aws:PrincipalArn = the API's role ARN (${api.node.path}'s role), or let the workflow create its input bucket.`);
    }
    this.deferringRoleArns.push(role.roleArn);
  }

  /**
   * One Deny on the input bucket: `deferred/*` is written (and deleted) by the deferring APIs' roles only, whatever
   * an identity policy or `grantPut` on the bucket allows. For a session of a role, `aws:PrincipalArn` is the role's
   * own ARN, not the session's (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
   * so every Lambda invocation of the API matches. Reads are not denied: the scheduled role still reads the records.
   */
  private denyDeferredWritesToOthers(): void {
    const ownRoles = this.deferringRoleArns;
    this.inputBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DeferredRecordsOnlyFromTheDeferringApis',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [this.inputBucket.arnForObjects(`${DEFERRED_PREFIX}*`)],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => ownRoles }) } },
    }));
  }

  /**
   * The batch service role, and the handler's rights to start and watch jobs with it: least privilege on both sides.
   * Bedrock (only for jobs of this account) may read the batch input and write the batch output of the results
   * bucket and invoke the batch model; the handler may write the input, read the output, create, get and list jobs,
   * and pass this role to Bedrock only.
   */
  private grantBatchInference(fn: lambda.Function, model: BedrockModel, resultsPrefix: string, minimumRecords: number, jobPrefix: string): iam.Role {
    const stack = Stack.of(this);
    const jobs = stack.formatArn({ service: 'bedrock', resource: 'model-invocation-job', resourceName: '*' });
    const results = this.resultsBucket;

    const role = new iam.Role(this, 'BatchServiceRole', {
      description: `Bedrock batch inference for ${this.node.path}: reads ${BATCH_INPUT_PREFIX}, writes ${BATCH_OUTPUT_PREFIX} of the results bucket`,
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': jobs },
        },
      }),
    });
    const input = results.arnForObjects(`${BATCH_INPUT_PREFIX}*`);
    const output = results.arnForObjects(`${BATCH_OUTPUT_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [input] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [output] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [results.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${BATCH_INPUT_PREFIX}*`, `${BATCH_OUTPUT_PREFIX}*`] } },
    }));
    results.encryptionKey?.grantDecrypt(role);
    results.encryptionKey?.grantEncrypt(role);
    acknowledgeWildcardResource(role, input, `Bedrock reads the batch input under '${BATCH_INPUT_PREFIX}' of the results bucket, one file per day named at run time.`);
    acknowledgeWildcardResource(role, output, `Bedrock writes the batch output under '${BATCH_OUTPUT_PREFIX}' of the results bucket, in folders named after job ids it assigns at run time.`);
    // The job runs the model of the workflow's simple tier and nothing else; a cross-region model only through its
    // system-defined profile.
    const modelArns = batchModelArns(this, model);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [modelArns[0]] }));
    if (model.geography) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: [model.foundationModelArn(this)],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': model.sourceArn(this) } },
      }));
      acknowledgeWildcardResource(role, model.foundationModelArn(this),
        `The ${model.geography} cross-region profile routes batch records to ${model.modelId} in any region of its geography; the region wildcard is limited to requests made through that profile (bedrock:InferenceProfileArn).`);
    }

    const handlerRole = this.role;
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:CreateModelInvocationJob'], resources: [...modelArns, jobs] }));
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:GetModelInvocationJob'], resources: [jobs] }));
    // Jobs are created with the workflow's GenAI tags; Bedrock authorizes tags given on create as bedrock:TagResource
    // on the new resource ("Prerequisites for batch inference" lists it with the batch job actions). Batch jobs of
    // this account and region only.
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:TagResource'], resources: [jobs] }));
    acknowledgeWildcardResource(handlerRole as unknown as Construct, jobs,
      'Bedrock assigns batch job ids at run time; the ARN pattern is limited to batch jobs of this account and region.');
    // Finds a job by name when its ARN was never recorded (a ConflictException on create, its event missed).
    // ListModelInvocationJobs supports no resource-level permission: Resource '*', limited to this region.
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['bedrock:ListModelInvocationJobs'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
    }));
    acknowledgeWildcardResource(handlerRole as unknown as Construct, '*',
      'bedrock:ListModelInvocationJobs supports no resource-level permission (the Service Authorization Reference lists no resource type for it), so it needs Resource \'*\'; it only lists batch jobs (to find a job of this workflow by name), in this region only (aws:RequestedRegion).');
    handlerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
    }));
    grantPutObjects(results, handlerRole, BATCH_INPUT_PREFIX);
    grantReadObjects(results, handlerRole, BATCH_OUTPUT_PREFIX);
    grantListPrefix(results, handlerRole, BATCH_OUTPUT_PREFIX);
    // Markers and record indexes sit next to the results (readable, see above); listing lets a missing marker read
    // as absent, not denied.
    grantListPrefix(results, handlerRole, resultsPrefix);

    fn.addEnvironment(ENV.batchRoleArn, role.roleArn);
    fn.addEnvironment(ENV.batchModelId, model.invocationId);
    fn.addEnvironment(ENV.batchMinRecords, String(minimumRecords));
    fn.addEnvironment(ENV.batchJobPrefix, jobPrefix);
    return role;
  }
}

/** Whether batch inference applies: on by default, for the model families whose batch records the runtime writes. */
function batchEnabled(scope: Construct, requested: boolean | undefined, model: BedrockModel): boolean {
  if (requested === false) return false;
  const supported = model.modelId.startsWith('anthropic.claude') || /^amazon\.nova-(?:2-)?(?:micro|lite|pro|premier)-/.test(model.modelId);
  if (!supported && requested === true) {
    throw new Error(`${scope.node.path}: batchInference is true, but the batch model '${model.modelId}' is neither Anthropic Claude nor Amazon Nova, the families whose batch records this library writes. Fix: use a Claude or Nova model for 'model' (or the simple tier of 'routing'), or set batchInference: false.`);
  }
  return supported;
}

const SCHEDULED_WORKFLOW_PROP_KINDS = {
  ...WORKFLOW_PROP_KINDS,
  schedule: 'object',
  existingInputBucket: 'object',
  inputPrefix: 'string',
  existingResultsBucket: 'object',
  resultsPrefix: 'string',
  batchInference: 'boolean',
  batchMinimumRecords: 'number',
} as const satisfies PropKinds<ScheduledWorkflowProps>;

function validateBatchMinimum(scope: Construct, value: number | undefined): number {
  if (value === undefined) return BEDROCK_MINIMUM_BATCH_RECORDS;
  if (Token.isUnresolved(value)) {
    throw new Error(`${scope.node.path}: batchMinimumRecords is a token. Fix: use a literal whole number of at least ${BEDROCK_MINIMUM_BATCH_RECORDS}.`);
  }
  if (!Number.isInteger(value) || value < BEDROCK_MINIMUM_BATCH_RECORDS) {
    throw new Error(`${scope.node.path}: batchMinimumRecords is ${value}. Fix: use a whole number of at least ${BEDROCK_MINIMUM_BATCH_RECORDS}, Bedrock's minimum number of records per batch inference job (${BEDROCK_MINIMUM_BATCH_RECORDS} is the default).`);
  }
  return value;
}

/**
 * The ARNs a batch job names its model by, the one it is started with first: the system-defined profile of a
 * cross-region model (and its foundation model in this region), or the foundation model in this region.
 */
function batchModelArns(scope: Construct, model: BedrockModel): string[] {
  const stack = Stack.of(scope);
  const regional = `arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${model.modelId}`;
  return model.geography ? [model.sourceArn(scope), regional] : [regional];
}

// Bedrock job names: at most 63 letters, digits and hyphens. The day ('-YYYY-MM-DD') takes 11.
function jobNamePrefix(scope: Construct): string {
  const name = Names.uniqueResourceName(scope, { maxLength: 52, separator: '-' })
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? 'genai-batch' : name;
}

/** The input prefix: a literal one outside `deferred/`, where a record would be trusted with the tenant it names. */
function validateInputPrefix(scope: Construct, value: string): string {
  const prefix = validatePrefix(scope, 'inputPrefix', value);
  if (prefix.startsWith(DEFERRED_PREFIX)) {
    throw new Error(`${scope.node.path}: inputPrefix is '${prefix}', inside '${DEFERRED_PREFIX}', where the API writes its deferred calls and each record runs as the tenant it names. Fix: use another prefix, such as '${DEFAULT_INPUT_PREFIX}'.`);
  }
  return prefix;
}

function validatePrefix(scope: Construct, name: string, value: string): string {
  if (value.includes('*') || value.startsWith('/')) {
    throw new Error(`${scope.node.path}: ${name} is '${value}'. Fix: use a literal key prefix such as 'records/' (no '*', no leading '/').`);
  }
  return value;
}
