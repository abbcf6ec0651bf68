import { Annotations, ArnFormat, Duration, Stack, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { GenAiTagKey } from '../tagging';
import { checkGenAiTags } from '../tagging/tag-check';
import { tagStoreFeature } from '../private/cache-table';
import { createSecureBucket } from '../private/secure-bucket';
import { checkProps, PropKinds } from '../private/prop-check';

// The construct id aws-cdk-lib gives the function behind every AwsCustomResource of a stack.
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** The Feature tag of the logging resources when neither the `feature` prop nor an enclosing scope sets one. */
export const INVOCATION_LOGGING_FEATURE = 'invocation-logging';

/** The log group name used when none is given: one per account and Region, like the setting itself. */
export const DEFAULT_INVOCATION_LOG_GROUP_NAME = '/genai-finops/bedrock/model-invocations';

/** The key prefix of the large bodies in the bucket when none is given. */
export const DEFAULT_LARGE_DATA_KEY_PREFIX = 'bedrock-invocation-logs';

/** Properties of a {@link BedrockInvocationLogging}. */
export interface BedrockInvocationLoggingProps {
  /**
   * How long the invocation logs stay in CloudWatch Logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly retention?: logs.RetentionDays;
  /**
   * The name of the log group the invocation logs go to.
   * @default '/genai-finops/bedrock/model-invocations'
   */
  readonly logGroupName?: string;
  /**
   * A KMS key to encrypt the log group with. When it is a key of this app, its policy is extended so that
   * CloudWatch Logs may use it for this log group only; an imported key's policy must allow that already.
   * @default - the log group is encrypted with CloudWatch Logs' own keys
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The bucket Bedrock writes the request and response bodies larger than 100 KB to (and images, when their
   * delivery is on). When it is a bucket of this app, its policy is extended to let Bedrock write under the prefix.
   * @default - a new encrypted, TLS-only bucket (with an access log bucket) whose objects expire after `largeDataExpiration`
   */
  readonly existingBucket?: s3.IBucket;
  /**
   * The key prefix of the large bodies in the bucket.
   * @default 'bedrock-invocation-logs'
   */
  readonly largeDataKeyPrefix?: string;
  /**
   * How long the large bodies are kept in the new bucket. Ignored with `existingBucket`.
   * @default Duration.days(30)
   */
  readonly largeDataExpiration?: Duration;
  /**
   * Log the text of prompts and completions. These logs can hold customer data.
   * @default true
   */
  readonly textDataDeliveryEnabled?: boolean;
  /**
   * Log the images of requests and responses (written to the bucket).
   * @default false
   */
  readonly imageDataDeliveryEnabled?: boolean;
  /**
   * Log the embeddings returned by embedding models (large, rarely worth their storage).
   * @default false
   */
  readonly embeddingDataDeliveryEnabled?: boolean;
  /**
   * Log the videos of requests and responses.
   * @default false
   */
  readonly videoDataDeliveryEnabled?: boolean;
  /**
   * The Feature tag of the logging resources.
   * @default - 'invocation-logging', unless an enclosing scope sets a Feature
   */
  readonly feature?: string;
}

// One per stack: the setting is account- and Region-wide, so a second instance would overwrite the first.
const INSTANCES = new WeakMap<Stack, string>();

/**
 * Bedrock model invocation logging, turned on: every Converse, ConverseStream, InvokeModel and
 * InvokeModelWithResponseStream call of the account in the stack's Region is logged to a CloudWatch log group
 * (metadata, token counts and, by default, the text of prompts and completions); bodies over 100 KB go to an S3
 * bucket under a prefix.
 *
 * CloudFormation has no resource for the setting, so a custom resource calls `PutModelInvocationLoggingConfiguration`
 * on create and update and `DeleteModelInvocationLoggingConfiguration` on delete. The setting is one per account and
 * Region: declare this construct once per account and Region (a second instance in one stack is refused; two
 * stacks in the same account and Region would overwrite each other's setting, the last deployed wins).
 *
 * The logs can hold customer prompts and model answers: keep the retention short, restrict who may read the log
 * group and the bucket, and turn text delivery off when metadata is enough. CloudWatch Logs ingestion ($0.50 per GB
 * in us-east-1) and storage are the running costs.
 */
export class BedrockInvocationLogging extends Construct {
  /** The log group the invocation logs go to. */
  public readonly logGroup: logs.LogGroup;
  /** The bucket the large bodies go to. */
  public readonly bucket: s3.IBucket;
  /** The service role Bedrock assumes to write to the log group. */
  public readonly role: iam.Role;
  /** The custom resource that holds the setting. */
  public readonly resource: cr.AwsCustomResource;
  /** The retention of the log group. */
  public readonly retention: logs.RetentionDays;
  /** The key prefix of the large bodies. */
  public readonly largeDataKeyPrefix: string;

  constructor(scope: Construct, id: string, props: BedrockInvocationLoggingProps = {}) {
    super(scope, id);
    checkProps(this, 'BedrockInvocationLoggingProps', props, BEDROCK_INVOCATION_LOGGING_PROP_KINDS);
    const stack = Stack.of(this);
    const existing = INSTANCES.get(stack);
    if (existing !== undefined) {
      throw new Error(`${this.node.path}: stack '${stack.node.path}' already has a BedrockInvocationLogging at '${existing}'. Model invocation logging is one setting per account and Region, so a second instance would overwrite the first. Fix: keep one BedrockInvocationLogging per account and Region and share it.`);
    }
    INSTANCES.set(stack, this.node.path);

    this.retention = props.retention ?? logs.RetentionDays.ONE_MONTH;
    validateRetention(this, this.retention);
    this.largeDataKeyPrefix = props.largeDataKeyPrefix ?? DEFAULT_LARGE_DATA_KEY_PREFIX;
    validatePrefix(this, this.largeDataKeyPrefix);
    const expiration = props.largeDataExpiration ?? Duration.days(30);
    validateExpiration(this, expiration);
    const logGroupName = props.logGroupName ?? DEFAULT_INVOCATION_LOG_GROUP_NAME;

    tagStoreFeature(this, props.feature, INVOCATION_LOGGING_FEATURE);
    checkGenAiTags(this);

    // Bedrock acts for this account, from this Region: the confused-deputy conditions of every grant to it.
    const bedrockConditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
    };

    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    if (props.encryptionKey) allowLogsToUseKey(this, props.encryptionKey, logGroupArn);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: this.retention,
      encryptionKey: props.encryptionKey,
    });

    if (props.existingBucket) {
      this.bucket = props.existingBucket;
    } else {
      const accessLogs = createSecureBucket(this, 'AccessLogs', {});
      const bucket = createSecureBucket(this, 'Bucket', { accessLogsBucket: accessLogs });
      bucket.addLifecycleRule({ id: 'ExpireInvocationBodies', expiration });
      this.bucket = bucket;
    }
    const bucketGrant = this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowBedrockInvocationLogsWrite',
      principals: [new iam.ServicePrincipal('bedrock.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects(`${this.largeDataKeyPrefix}/*`)],
      conditions: bedrockConditions,
    }));
    if (!bucketGrant.statementAdded) {
      Annotations.of(this).addWarningV2('genai-finops:invocation-logging-bucket-policy',
        `${this.node.path}: the bucket is not managed by this app, so its policy cannot be extended. Fix: allow bedrock.amazonaws.com to s3:PutObject under '${this.largeDataKeyPrefix}/' with the aws:SourceAccount and aws:SourceArn conditions, or large bodies are not delivered.`);
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions(bedrockConditions),
      description: 'Amazon Bedrock writes the model invocation logs of the account and Region to the log group with this role',
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    const loggingConfig = {
      cloudWatchConfig: {
        logGroupName: this.logGroup.logGroupName,
        roleArn: this.role.roleArn,
        largeDataDeliveryS3Config: { bucketName: this.bucket.bucketName, keyPrefix: this.largeDataKeyPrefix },
      },
      textDataDeliveryEnabled: props.textDataDeliveryEnabled ?? true,
      imageDataDeliveryEnabled: props.imageDataDeliveryEnabled ?? false,
      embeddingDataDeliveryEnabled: props.embeddingDataDeliveryEnabled ?? false,
      videoDataDeliveryEnabled: props.videoDataDeliveryEnabled ?? false,
    };
    const put: cr.AwsSdkCall = {
      service: '@aws-sdk/client-bedrock',
      action: 'PutModelInvocationLoggingConfiguration',
      parameters: { loggingConfig },
      // The setting has no id of its own: it is the account's in this Region.
      physicalResourceId: cr.PhysicalResourceId.of(`bedrock-model-invocation-logging-${stack.region}`),
    };
    const configurePolicy = new iam.PolicyStatement({
      actions: ['bedrock:PutModelInvocationLoggingConfiguration', 'bedrock:DeleteModelInvocationLoggingConfiguration'],
      resources: ['*'],
    });
    // The provider function's own role, instead of the default one with AWSLambdaBasicExecutionRole (which may
    // create log groups and write to any): it writes to its log group and does what the policy below adds.
    const providerLogGroup = new logs.LogGroup(this, 'ProviderLogGroup', { retention: logs.RetentionDays.ONE_MONTH });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'The function that puts and deletes the Bedrock model invocation logging setting runs with this role',
    });
    providerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [providerLogGroup.logGroupArn],
    }));
    this.resource = new cr.AwsCustomResource(this, 'Resource', {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: '@aws-sdk/client-bedrock', action: 'DeleteModelInvocationLoggingConfiguration' },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        configurePolicy,
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
        }),
      ]),
      // The provider is a stack-wide singleton function: the first AwsCustomResource of the stack sets its role
      // and log group, and the one-per-stack rule above makes this the only one the library declares.
      role: providerRole,
      logGroup: providerLogGroup,
      // The Lambda runtime's SDK has the Bedrock client; installing the latest at each call needs network access.
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
    });
    // The provider singleton lives at the stack's root, outside this construct's tags: give it this feature's, so
    // its (small) cost is attributed like the rest of the logging (a Feature set on the stack still wins).
    const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) Tags.of(provider).add(GenAiTagKey.FEATURE, props.feature ?? INVOCATION_LOGGING_FEATURE, { priority: 0 });
    // Bedrock checks that it can assume the role and write to the destinations when the setting is put.
    this.resource.node.addDependency(this.role, this.logGroup);
    const bucketPolicy = this.bucket.policy;
    if (bucketPolicy) this.resource.node.addDependency(bucketPolicy);

    const policy = this.resource.node.tryFindChild('CustomResourcePolicy');
    acknowledgeWildcardResource(policy ?? this.resource, '*',
      'bedrock:PutModelInvocationLoggingConfiguration and bedrock:DeleteModelInvocationLoggingConfiguration act on the account\'s setting and support no resource type, so IAM requires Resource "*".');
  }
}

function validateRetention(scope: Construct, retention: logs.RetentionDays): void {
  if (Token.isUnresolved(retention)) return;
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(retention)) {
    throw new Error(`${scope.node.path}: retention is ${retention}, which is not a CloudWatch Logs retention. Fix: use a logs.RetentionDays value, e.g. logs.RetentionDays.ONE_MONTH (the default) or logs.RetentionDays.THREE_MONTHS.`);
  }
}

function validateExpiration(scope: Construct, expiration: Duration): void {
  if (expiration.isUnresolved()) return;
  const days = expiration.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`${scope.node.path}: largeDataExpiration is ${expiration.toHumanString()}. Fix: use a whole number of days, at least one, e.g. Duration.days(30) (the default).`);
  }
}

function validatePrefix(scope: Construct, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (prefix === '' || prefix.startsWith('/') || prefix.endsWith('/')) {
    throw new Error(`${scope.node.path}: largeDataKeyPrefix is '${prefix}'. Fix: use a non-empty prefix without a leading or trailing '/', e.g. '${DEFAULT_LARGE_DATA_KEY_PREFIX}' (the default).`);
  }
}

/** Let CloudWatch Logs in this Region use `key` for the one log group, when the key's policy is this app's. */
function allowLogsToUseKey(scope: Construct, key: kms.IKey, logGroupArn: string): void {
  const stack = Stack.of(scope);
  const result = key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsForBedrockInvocationLogs',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
  }));
  if (!result.statementAdded) {
    Annotations.of(scope).addWarningV2('genai-finops:invocation-logging-key-policy',
      `${scope.node.path}: the KMS key is not managed by this app, so its policy cannot be extended. Fix: let logs.${stack.region}.amazonaws.com use it for ${logGroupArn}, or the log group cannot be created.`);
  }
}

// The known keys of BedrockInvocationLoggingProps and what each holds (lib/private/prop-check.ts).
const BEDROCK_INVOCATION_LOGGING_PROP_KINDS = {
  retention: 'number',
  logGroupName: 'string',
  encryptionKey: 'object',
  existingBucket: 'object',
  largeDataKeyPrefix: 'string',
  largeDataExpiration: 'object',
  textDataDeliveryEnabled: 'boolean',
  imageDataDeliveryEnabled: 'boolean',
  embeddingDataDeliveryEnabled: 'boolean',
  videoDataDeliveryEnabled: 'boolean',
  feature: 'string',
} as const satisfies PropKinds<BedrockInvocationLoggingProps>;
