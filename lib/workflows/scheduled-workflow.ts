import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ResponseCacheTable } from '../data-stores';
import { BundledHandler, GenAiFunction } from '../functions';
import { GenAiInferenceProfile } from '../inference';
import { GenAiWorkflowProps } from './genai-workflow-props';
import { grantListPrefix, grantPutObjects, grantReadObjects } from './object-grants';
import { createSecureBucket } from './secure-bucket';
import { createWorkflowRuntime } from './workflow-runtime';

/** Properties of a {@link ScheduledWorkflow}. */
export interface ScheduledWorkflowProps extends GenAiWorkflowProps {
  /**
   * When the workflow runs.
   * @default - daily at 02:00 UTC
   */
  readonly schedule?: events.Schedule;
  /**
   * The bucket holding the records; each day's records are under `<inputPrefix>YYYY-MM-DD/`.
   * @default - a new encrypted, TLS-only, versioned bucket with public access blocked and access logs
   */
  readonly existingInputBucket?: s3.IBucket;
  /**
   * The prefix of the dated record folders.
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
}

/**
 * EventBridge schedule → Lambda that processes the day's records with Bedrock → results in S3.
 *
 * A run at 02:00 UTC processes the UTC day that just ended: the records under `<inputPrefix>YYYY-MM-DD/`.
 */
export class ScheduledWorkflow extends Construct {
  /** The bucket holding the records. */
  public readonly inputBucket: s3.IBucket;
  /** The bucket results are written to. */
  public readonly resultsBucket: s3.IBucket;
  /** The handler. */
  public readonly handler: GenAiFunction;
  /** The application inference profile of the simple (or only) tier. */
  public readonly profile: GenAiInferenceProfile;
  /** One application inference profile per routed model; the handler may invoke through these only. */
  public readonly profiles: GenAiInferenceProfile[];
  /** The response cache, if the workflow has one. */
  public readonly responseCache?: ResponseCacheTable;
  /** The schedule rule. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledWorkflowProps = {}) {
    super(scope, id);
    const inputPrefix = validatePrefix(this, 'inputPrefix', props.inputPrefix ?? 'records/');
    const resultsPrefix = validatePrefix(this, 'resultsPrefix', props.resultsPrefix ?? 'results/');

    const accessLogs = props.existingInputBucket && props.existingResultsBucket
      ? undefined
      : createSecureBucket(this, 'AccessLogs', {});
    this.inputBucket = props.existingInputBucket ?? createSecureBucket(this, 'InputBucket', { accessLogsBucket: accessLogs });
    this.resultsBucket = props.existingResultsBucket ?? createSecureBucket(this, 'ResultsBucket', { accessLogsBucket: accessLogs });

    const runtime = createWorkflowRuntime(this, props, {
      bundledHandler: BundledHandler.SCHEDULED,
      inferenceType: 'batch',
      defaultTimeout: Duration.minutes(15),
      createResponseCache: false,
      environment: {
        INPUT_BUCKET: this.inputBucket.bucketName,
        INPUT_PREFIX: inputPrefix,
        RESULTS_BUCKET: this.resultsBucket.bucketName,
        RESULTS_PREFIX: resultsPrefix,
      },
    });
    this.handler = runtime.handler;
    this.profile = runtime.profile;
    this.profiles = runtime.profiles;
    this.responseCache = runtime.responseCache;
    grantListPrefix(this.inputBucket, this.handler.role, inputPrefix);
    grantReadObjects(this.inputBucket, this.handler.role, inputPrefix);
    grantPutObjects(this.resultsBucket, this.handler.role, resultsPrefix);

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Daily GenAI batch for ${this.node.path}`,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '2' }),
    });
    // A scheduled run is not retried by EventBridge on its own: one retry covers a transient failure without
    // paying for the day twice.
    this.rule.addTarget(new targets.LambdaFunction(this.handler.function, { retryAttempts: 1, maxEventAge: Duration.hours(1) }));
  }
}

function validatePrefix(scope: Construct, name: string, value: string): string {
  if (value.includes('*') || value.startsWith('/')) {
    throw new Error(`${scope.node.path}: ${name} is '${value}'. Fix: use a literal key prefix such as 'records/' (no '*', no leading '/').`);
  }
  return value;
}
