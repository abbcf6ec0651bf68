import { Duration, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkProps, PropKinds } from '../private/prop-check';
import { acknowledgeWildcardAction, acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { createSecureBucket } from '../private/secure-bucket';
import { METER_FILTER_PATTERN, METER_PARTITION_COLUMN } from '../../shared/queries';

/** Props of {@link MeterArchive}. */
export interface MeterArchiveProps {
  /**
   * The log groups of the functions whose EMF records to archive (a workflow's `handler.logGroup`); more with
   * `addLogGroup`. CloudWatch Logs allows two subscription filters per log group.
   * @default - none until `addLogGroup` is called
   */
  readonly logGroups?: logs.ILogGroup[];
  /**
   * The bucket the records are written to.
   * @default - a new encrypted (SSE-S3), TLS-only, private, versioned bucket with access logging
   */
  readonly bucket?: s3.IBucket;
  /**
   * The name of the new bucket (not with `bucket`). Give one when a stack in another Region (the cost reporting's,
   * in us-east-1) must find the bucket by name, e.g. one with the account id in it.
   * @default - a name CloudFormation generates
   */
  readonly bucketName?: string;
  /**
   * The key prefix of the records; objects land under `<prefix>/dt=YYYY-MM-DD/` (the UTC day of delivery).
   * @default 'meter'
   */
  readonly prefix?: string;
  /**
   * How long records are kept (a new bucket only). Statements and reconciliation read them; a year and a month
   * allows a year-over-year statement.
   * @default Duration.days(400)
   */
  readonly retention?: Duration;
  /**
   * How long Firehose buffers before it writes an object (60 to 900 seconds). Longer means fewer, larger objects.
   * @default Duration.minutes(5)
   */
  readonly bufferingInterval?: Duration;
}

/**
 * The meter's records in S3: the workflows' log groups subscribed (only the GenAI namespace's EMF records, by
 * filter pattern) to a Firehose stream that decompresses CloudWatch Logs' batches and extracts each log event's
 * message with its built-in processors and ends each with a newline, so objects hold the EMF JSON lines exactly as
 * the functions wrote them, gzip-compressed, one `dt=YYYY-MM-DD` folder per day. `MeterTable` puts a Glue table over them for Athena.
 *
 * No Lambda transforms the records: the built-in processors cost nothing beyond Firehose's ingestion
 * ($0.029/GB in us-east-1, billed in 5 KB increments per record).
 */
export class MeterArchive extends Construct {
  /** The bucket holding the records. */
  public readonly bucket: s3.IBucket;
  /** The key prefix of the records (without a trailing slash). */
  public readonly prefix: string;
  /** The Firehose stream. */
  public readonly deliveryStream: firehose.DeliveryStream;
  private readonly destination: destinations.FirehoseDestination;
  private subscriptions = 0;

  constructor(scope: Construct, id: string, props: MeterArchiveProps = {}) {
    super(scope, id);
    checkProps(this, 'MeterArchiveProps', props, METER_ARCHIVE_PROP_KINDS);
    const prefix = (props.prefix ?? 'meter').replace(/^\/+|\/+$/g, '');
    const retention = props.retention ?? Duration.days(400);
    const interval = props.bufferingInterval ?? Duration.minutes(5);
    validate(this, prefix, retention, interval);
    this.prefix = prefix;

    if (props.bucket) {
      if (props.bucketName !== undefined) {
        throw new Error(`${this.node.path}: both bucket and bucketName are set. Fix: give bucketName only for the bucket this construct creates, or only bucket.`);
      }
      this.bucket = props.bucket;
    } else {
      const accessLogs = createSecureBucket(this, 'AccessLogs', {});
      const bucket = createSecureBucket(this, 'Bucket', { accessLogsBucket: accessLogs, bucketName: props.bucketName });
      bucket.addLifecycleRule({ id: 'ExpireMeterRecords', prefix: `${prefix}/`, expiration: retention });
      bucket.addLifecycleRule({ id: 'ExpireDeliveryErrors', prefix: `${prefix}-errors/`, expiration: Duration.days(30) });
      this.bucket = bucket;
    }

    // Firehose writes its own delivery errors to CloudWatch Logs: kept a month, like the functions' logs.
    const errorLogs = new logs.LogGroup(this, 'DeliveryLogs', { retention: logs.RetentionDays.ONE_MONTH });
    // The role aws-cdk-lib would create trusts firehose.amazonaws.com unconditionally; this one only for streams of
    // this account (confused deputy: https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: `Firehose's role writing the GenAI meter records to S3 (${this.node.path}).`,
    });
    this.deliveryStream = new firehose.DeliveryStream(this, 'Resource', {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      role,
      destination: new firehose.S3Bucket(this.bucket, {
        role,
        // Hive-style folders, so that partition projection finds each day; the day is Firehose's (UTC) arrival time.
        dataOutputPrefix: `${prefix}/${METER_PARTITION_COLUMN}=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: `${prefix}-errors/!{firehose:error-output-type}/${METER_PARTITION_COLUMN}=!{timestamp:yyyy-MM-dd}/`,
        compression: firehose.Compression.GZIP,
        // Athena and DuckDB tell gzip by the name's extension.
        fileExtension: '.json.gz',
        bufferingInterval: interval,
        bufferingSize: Size.mebibytes(64),
        loggingConfig: new firehose.EnableLogging(errorLogs),
        // CloudWatch Logs delivers gzip batches of log events; the first two built-in processors turn each batch into
        // its events' messages ("Message extraction", Firehose developer guide:
        // https://docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html). A decompressed record has no
        // trailing newline (aws-cdk-lib's Firehose README, "Decompress and extract message of CloudWatch Logs"), so
        // without the third the objects would hold `…}{…`, which no JSON-lines reader (Athena, DuckDB) accepts.
        processors: [
          new firehose.DecompressionProcessor(),
          new firehose.CloudWatchLogProcessor({ dataMessageExtraction: true }),
          new firehose.AppendDelimiterToRecordProcessor(),
        ],
      }),
    });
    // The S3 destination grants its role read-write on the bucket (aws-cdk-lib does so whatever role is given).
    const grant = 'Firehose\'s S3 destination role: aws-cdk-lib grants it read-write on the archive bucket, which Firehose needs to write, '
      + 'complete and abort multipart uploads of its objects; the bucket holds only the archive.';
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) acknowledgeWildcardAction(role, action, grant);
    acknowledgeWildcardResource(role, this.bucket.arnForObjects('*'), grant);
    if (Token.isUnresolved(Stack.of(this).region)) {
      // In a Region-agnostic stack aws-cdk-lib's DeliveryStream renders its Firehose CIDR mapping (for `connections`,
      // which VPC destinations use) even when nothing looks it up; an S3 destination never does. The finding is on
      // the stack, so it can only be acknowledged there.
      Validations.of(Stack.of(this)).acknowledge({
        id: 'CloudFormation-Validate::W7001',
        reason: 'aws-cdk-lib\'s Firehose DeliveryStream adds its CIDR-block mapping to a Region-agnostic stack; the S3 destination of the meter archive never looks it up.',
      });
    }
    this.destination = new destinations.FirehoseDestination(this.deliveryStream);
    for (const logGroup of props.logGroups ?? []) this.addLogGroup(logGroup);
  }

  /**
   * Subscribe a log group: its EMF records of the GenAI namespace go to the archive, nothing else it logs.
   * The subscription filter is created in this construct's scope.
   */
  public addLogGroup(logGroup: logs.ILogGroup): logs.SubscriptionFilter {
    const filter = new logs.SubscriptionFilter(this, `Subscription${this.subscriptions++}`, {
      logGroup,
      destination: this.destination,
      filterPattern: logs.FilterPattern.literal(METER_FILTER_PATTERN),
    });
    return filter;
  }
}

function validate(scope: Construct, prefix: string, retention: Duration, interval: Duration): void {
  const path = scope.node.path;
  if (!Token.isUnresolved(prefix) && !/^[0-9A-Za-z!\-_.*'()/]{1,200}$/.test(prefix)) {
    throw new Error(`${path}: prefix is '${prefix}'. Fix: use a plain key prefix such as 'meter'.`);
  }
  if (!interval.isUnresolved() && (interval.toSeconds() < 60 || interval.toSeconds() > 900)) {
    throw new Error(`${path}: bufferingInterval is ${interval.toSeconds()} seconds; Firehose buffers 60 to 900. Fix: use Duration.minutes(5), the default, or a value in range.`);
  }
  if (!retention.isUnresolved() && retention.toMilliseconds() < 86_400_000) {
    throw new Error(`${path}: retention is ${retention.toHumanString()}. Fix: keep records at least a day (reconciliation reads day D on D+2), e.g. Duration.days(400).`);
  }
}

// The known keys of MeterArchiveProps and what each holds (lib/private/prop-check.ts).
const METER_ARCHIVE_PROP_KINDS = {
  logGroups: { items: 'object' },
  bucket: 'object',
  bucketName: 'string',
  prefix: 'string',
  retention: 'object',
  bufferingInterval: 'object',
} as const satisfies PropKinds<MeterArchiveProps>;
