import { Annotations, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { ENV } from '../../shared/contract';
import { BundledHandler } from '../private/bundled-handler';
import { acknowledgeWildcardAction } from '../private/nag-acknowledgements';
import { GenAiWorkflowBase } from './genai-workflow-base';
import { GenAiWorkflowProps } from './genai-workflow-props';
import { grantReadObjects } from './object-grants';
import { createSecureBucket } from '../private/secure-bucket';
import { createWorkflowRuntime } from './workflow-runtime';
import { API_ONLY_PROP_KINDS, WORKFLOW_PROP_KINDS } from './workflow-prop-kinds';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link DocumentWorkflow}. */
export interface DocumentWorkflowProps extends GenAiWorkflowProps {
  /**
   * The bucket documents are uploaded to. It must send events to EventBridge: an `s3.Bucket` of the same app
   * with `eventBridgeEnabled: true` (or `notificationConfiguration.eventBridgeConfiguration` on its `CfnBucket`),
   * else synthesis fails; for an imported bucket, which cannot be checked, a `genai-finops:bucket-eventbridge`
   * warning reminds you. A bucket created here sends them.
   * @default - a new encrypted, TLS-only, versioned bucket with public access blocked and access logs
   */
  readonly existingBucket?: s3.IBucket;
  /**
   * Only objects whose key starts with this are processed.
   * @default - every object
   */
  readonly prefix?: string;
  /**
   * Only objects whose key ends with this are processed, e.g. `.txt`.
   * @default - every object
   */
  readonly suffix?: string;
  /**
   * The table results are written to, keyed by `objectKey` (partition) and `versionId` (sort), both strings. For an
   * unversioned bucket the sort key is `null:<sequencer>` (S3's sequencer of the upload's event), one item per upload.
   * @default - a new on-demand table with point-in-time recovery
   */
  readonly existingResultsTable?: dynamodb.ITable;
}

/**
 * S3 upload → EventBridge → Lambda → Bedrock → result item in DynamoDB.
 *
 * Object-created events travel through EventBridge rather than S3 bucket notifications: the filter on prefix and
 * suffix is part of the rule, no custom resource is needed to configure the bucket, and failed invocations are
 * retried and then kept in the handler's dead-letter queue.
 */
export class DocumentWorkflow extends GenAiWorkflowBase {
  /** The bucket documents are uploaded to. */
  public readonly bucket: s3.IBucket;
  /** The table holding one result item per object version. */
  public readonly resultsTable: dynamodb.ITable;
  /** The EventBridge rule that matches object-created events. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: DocumentWorkflowProps = {}) {
    super(scope, id);
    checkProps(this, 'DocumentWorkflowProps', props, { ...DOCUMENT_WORKFLOW_PROP_KINDS, ...API_ONLY_PROP_KINDS });
    validateKeyFilter(this, 'prefix', props.prefix);
    validateKeyFilter(this, 'suffix', props.suffix);

    if (props.existingBucket) {
      this.bucket = props.existingBucket;
      checkBucketSendsToEventBridge(this, props.existingBucket);
    } else {
      const accessLogs = createSecureBucket(this, 'AccessLogs', {});
      this.bucket = createSecureBucket(this, 'Bucket', { accessLogsBucket: accessLogs, eventBridgeEnabled: true });
    }

    this.resultsTable = props.existingResultsTable ?? new dynamodb.Table(this, 'Results', {
      partitionKey: { name: 'objectKey', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'versionId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });

    const defaultTimeout = Duration.minutes(5);
    const runtime = createWorkflowRuntime(this, props, {
      bundledHandler: BundledHandler.DOCUMENT,
      inferenceType: 'async',
      defaultTimeout,
      createResponseCache: false,
      environment: {
        [ENV.resultsTable]: this.resultsTable.tableName,
        ...claimStaleSeconds(props.timeout ?? defaultTimeout),
      },
    });
    this._useRuntime(runtime);
    grantReadObjects(this.bucket, this.role, props.prefix ?? '');
    grantResultWrites(this.resultsTable, this.handler, this.role);

    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: `Documents uploaded for ${this.node.path}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          ...(props.prefix || props.suffix ? { object: { key: [keyMatcher(props.prefix, props.suffix)] } } : {}),
        },
      },
    });
    this.rule.addTarget(new targets.LambdaFunction(this.handler, {
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
    }));
  }
}

/**
 * A document workflow hears of uploads only through EventBridge. A bucket defined in the app says whether it sends
 * events there, in its L1 (`notificationConfiguration.eventBridgeConfiguration`, what this library sets) or through
 * the L2's `eventBridgeEnabled` (the `Custom::S3BucketNotifications` resource under it): checked once the app is
 * complete, since either can be set after the workflow is built. An imported bucket cannot be checked.
 */
function checkBucketSendsToEventBridge(scope: Construct, bucket: s3.IBucket): void {
  const cfnBucket = bucket.node.defaultChild;
  if (!cfnBucket || !CfnResource.isCfnResource(cfnBucket) || cfnBucket.cfnResourceType !== 'AWS::S3::Bucket') {
    Annotations.of(scope).addWarningV2('genai-finops:bucket-eventbridge',
      `${scope.node.path}: existingBucket '${bucket.node.path}' is imported, so whether it sends events to Amazon EventBridge cannot be checked; without them no document is processed. Fix: enable it on the bucket (S3 console: Properties → Amazon EventBridge → On, or \`aws s3api put-bucket-notification-configuration --bucket <name> --notification-configuration '{"EventBridgeConfiguration":{}}'\`).`);
    return;
  }
  scope.node.addValidation({
    validate: () => (eventBridgeEnabled(cfnBucket as s3.CfnBucket, bucket) ? [] : [
      `${scope.node.path}: existingBucket '${bucket.node.path}' does not send events to Amazon EventBridge, so no uploaded document would ever be processed. ` +
      'Fix: create it with `eventBridgeEnabled: true` (or set `notificationConfiguration: { eventBridgeConfiguration: { eventBridgeEnabled: true } }` on its CfnBucket), or leave existingBucket out to have the workflow create one.',
    ]),
  });
}

function eventBridgeEnabled(cfnBucket: s3.CfnBucket, bucket: s3.IBucket): boolean {
  const stack = Stack.of(cfnBucket);
  const config = stack.resolve(cfnBucket.notificationConfiguration) as Record<string, any> | undefined;
  const onL1 = config?.eventBridgeConfiguration ?? config?.EventBridgeConfiguration;
  if (onL1 !== undefined && (onL1.eventBridgeEnabled ?? onL1.EventBridgeEnabled ?? true) !== false) return true;
  // The L2's eventBridgeEnabled renders into the bucket-notifications custom resource, not the CfnBucket.
  return bucket.node.findAll().some((c) => {
    if (!CfnResource.isCfnResource(c) || c.cfnResourceType !== 'Custom::S3BucketNotifications') return false;
    const properties = stack.resolve((c as unknown as { _cfnProperties: Record<string, any> })._cfnProperties);
    return properties?.NotificationConfiguration?.EventBridgeConfiguration !== undefined;
  });
}

/**
 * The results-table calls of lambda/runtime/document-claims.ts and no more: no reads, scans or batch writes. A table
 * encrypted with a customer managed key also needs that key, as grantReadWriteData would give it.
 */
function grantResultWrites(table: dynamodb.ITable, handler: lambda.IFunction, role: iam.IRole): void {
  table.grant(handler, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
  if (!table.encryptionKey) return;
  table.encryptionKey.grantEncryptDecrypt(handler);
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledgeWildcardAction(role as unknown as IConstruct, action, 'DynamoDB encrypts and decrypts the results table\'s items with its customer managed key on the caller\'s behalf; the grant is on that key only.');
  }
}

/**
 * How old a claim on a document must be before a redelivery may take it over: longer than any invocation of the
 * handler can run, so a claim is taken over only from an invocation that died. A timeout given as a token cannot be
 * added to; the runtime then keeps its default, which is safe for Lambda's longest timeout.
 */
function claimStaleSeconds(timeout: Duration): { [key: string]: string } {
  return timeout.isUnresolved() ? {} : { [ENV.claimStaleSeconds]: String(timeout.toSeconds() + 60) };
}

// EventBridge matches prefix and suffix on one field only through a wildcard pattern.
function keyMatcher(prefix: string | undefined, suffix: string | undefined): any {
  if (prefix && suffix) return { wildcard: `${prefix}*${suffix}` };
  if (prefix) return { prefix };
  return { suffix };
}

const DOCUMENT_WORKFLOW_PROP_KINDS = {
  ...WORKFLOW_PROP_KINDS,
  existingBucket: 'object',
  prefix: 'string',
  suffix: 'string',
  existingResultsTable: 'object',
} as const satisfies PropKinds<DocumentWorkflowProps>;

function validateKeyFilter(scope: Construct, name: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value === '' || value.includes('*')) {
    throw new Error(`${scope.node.path}: ${name} is '${value}'. Fix: give a literal key ${name} without '*' (e.g. ${name === 'prefix' ? "'incoming/'" : "'.txt'"}), or leave it out to match every object.`);
  }
}
