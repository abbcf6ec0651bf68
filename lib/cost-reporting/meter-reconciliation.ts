import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { checkProps, PropKinds } from '../private/prop-check';
import {
  RECONCILIATION_DEFAULTS, RECONCILIATION_DIMENSIONS, RECONCILIATION_ENV, RECONCILIATION_METRIC, RECONCILIATION_NAMESPACE,
} from '../../shared/contract';
import { BundledHandler, bundledHandlerCode } from '../private/bundled-handler';
import { GenAiFunction } from '../functions/genai-function';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { allowAlarmsOnTopic, allowServiceToUseKey, encryptedTopic, TopicPublisher, topicKey, validateEmails } from '../private/encrypted-topic';
import type { CostReporting } from './cost-reporting';
import type { MeterTable } from './meter-table';

/** Props of {@link MeterReconciliation}. */
export interface MeterReconciliationProps {
  /** The CUR 2.0 export, its Glue table and the Athena workgroup the query runs in. */
  readonly costReporting: CostReporting;
  /** The meter's table (in the same Glue database). */
  readonly meterTable: MeterTable;
  /**
   * Whole days between a day and its reconciliation. CUR 2.0 refreshes up to three times a day and its figures for
   * a day keep changing for a day or more, so a smaller lag reports drift that is only the bill arriving.
   * @default 2
   */
  readonly lagDays?: number;
  /**
   * Drift (|metered − billed| / billed) and unmetered share of the bill, in percent, above which the alarms fire.
   * @default 2
   */
  readonly thresholdPercent?: number;
  /**
   * Features (and unmetered spend) under this many USD a day on both sides are not judged: a few cents of rounding
   * is not drift.
   * @default 0.01
   */
  readonly minimumUsd?: number;
  /**
   * When the reconciliation runs (UTC).
   * @default - every day at 07:00 UTC
   */
  readonly schedule?: events.Schedule;
  /**
   * The topic the alarms notify.
   * @default - a new topic encrypted with a new KMS key that CloudWatch may use
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses to subscribe to the topic.
   * @default - none
   */
  readonly emailSubscriptions?: string[];
}

/**
 * Compares, every day, what the meter recorded (the `MeterTable`) with what CUR 2.0 billed for the same day, per
 * application and feature, in one Athena query; publishes the drift per feature (`MeterDriftPercent`, dimensions
 * Application and Feature), the largest drift and the Bedrock spend no metered feature accounts for
 * (namespace `GenAI/FinOps/Reconciliation`); and alarms when either passes the threshold.
 *
 * Belongs next to the `CostReporting` (its workgroup and Glue database, us-east-1). Runs once a day: one Lambda
 * invocation of a few seconds and one Athena query scanning a day of CUR and three daily folders of meter records
 * (delivery days D to D+2). Alarms also when a run fails (`failureAlarm`).
 */
export class MeterReconciliation extends Construct {
  /** The function that runs the reconciliation. */
  public readonly handler: GenAiFunction;
  /** The daily schedule. */
  public readonly rule: events.Rule;
  /** The topic the alarms notify. */
  public readonly topic: sns.ITopic;
  /** Fires when a feature's drift passes the threshold. */
  public readonly driftAlarm: cloudwatch.Alarm;
  /** Fires when unmetered Bedrock spend passes the threshold (as a share of the day's Bedrock bill). */
  public readonly unmeteredAlarm: cloudwatch.Alarm;
  /** Fires when a run of the reconciliation fails (the function's Errors, over a day). */
  public readonly failureAlarm: cloudwatch.Alarm;
  /** The key of the topic this construct created, if it did. */
  public readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, props: MeterReconciliationProps) {
    super(scope, id);
    checkProps(this, 'MeterReconciliationProps', props, METER_RECONCILIATION_PROP_KINDS);
    const lagDays = props.lagDays ?? RECONCILIATION_DEFAULTS.lagDays;
    const thresholdPercent = props.thresholdPercent ?? RECONCILIATION_DEFAULTS.thresholdPercent;
    const minimumUsd = props.minimumUsd ?? RECONCILIATION_DEFAULTS.minimumUsd;
    validate(this, lagDays, thresholdPercent, minimumUsd);
    validateEmails(this, props.emailSubscriptions);

    const cost = props.costReporting;
    const workGroup = cost.workGroup.name;
    const database = props.meterTable.databaseName;
    const curTable = (cost.table.tableInput as glue.CfnTable.TableInputProperty).name!;

    this.handler = new GenAiFunction(this, 'Function', {
      code: bundledHandlerCode(BundledHandler.RECONCILE),
      handler: 'index.handler',
      description: 'Meter ↔ bill reconciliation: the meter\'s cost per feature against CUR 2.0, daily.',
      // Athena queries take seconds to a minute; the runner gives up polling at 4 minutes.
      timeout: Duration.minutes(5),
      environment: {
        [RECONCILIATION_ENV.workGroup]: workGroup,
        [RECONCILIATION_ENV.database]: database,
        [RECONCILIATION_ENV.curTable]: curTable,
        [RECONCILIATION_ENV.meterTable]: props.meterTable.tableName,
        [RECONCILIATION_ENV.lagDays]: String(lagDays),
        [RECONCILIATION_ENV.thresholdPercent]: String(thresholdPercent),
        [RECONCILIATION_ENV.minimumUsd]: String(minimumUsd),
      },
    });
    this.grantQuery(props, curTable);

    this.rule = new events.Rule(this, 'Schedule', {
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '7' }),
      description: `Reconciles the meter with CUR 2.0 for the day ${lagDays} days before.`,
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2 })],
    });

    if (props.topic) {
      this.topic = props.topic;
      allowAlarmsOnTopic(this, props.topic);
      for (const email of props.emailSubscriptions ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    } else {
      const key = topicKey(this, 'Key', `Encrypts the notifications of ${this.node.path}`);
      allowServiceToUseKey(key, TopicPublisher.CLOUDWATCH_ALARMS, this);
      this.key = key;
      this.topic = encryptedTopic(this, 'Topic', key, TopicPublisher.CLOUDWATCH_ALARMS, 'GenAI meter reconciliation', props.emailSubscriptions);
    }
    const action = new actions.SnsAction(this.topic);
    const alarm = (alarmId: string, metric: cloudwatch.Metric, what: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: thresholdPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // A day without a run is no evidence of drift; a run that failed is what the failure alarm reports.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${what} above ${thresholdPercent} % in the daily meter ↔ bill reconciliation (${this.node.path}).`,
      });
      created.addAlarmAction(action);
      return created;
    };
    this.driftAlarm = alarm('DriftAlarm', this.metricMaxDriftPercent(), 'A feature\'s drift between the meter and CUR 2.0');
    this.unmeteredAlarm = alarm('UnmeteredAlarm', this.metricUnmeteredPercent(), 'Bedrock spend no metered feature accounts for');
    // The drift alarms treat a missing day as fine, so a reconciliation that fails every day (Athena refusing the
    // query, a table gone) would otherwise alarm nobody. Any failed invocation that day, retries included, fires.
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      metric: this.handler.function.metricErrors({ statistic: 'Sum', period: Duration.days(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `The daily meter ↔ bill reconciliation failed; no drift was published for the day (${this.node.path}). `
        + 'See the function\'s log group for the reason.',
    });
    this.failureAlarm.addAlarmAction(action);
  }

  /**
   * A feature's drift, (metered − billed) / billed × 100, signed.
   * @default - Maximum over 1 day
   */
  public metricDriftPercent(application: string, feature: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const dimensions: Record<(typeof RECONCILIATION_DIMENSIONS)[number], string> = { Application: application, Feature: feature };
    return this.metric(RECONCILIATION_METRIC.driftPercent, { dimensionsMap: dimensions, ...props });
  }

  /**
   * The largest absolute drift of the day's judged features.
   * @default - Maximum over 1 day
   */
  public metricMaxDriftPercent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(RECONCILIATION_METRIC.maxDriftPercent, props);
  }

  /**
   * Unmetered Bedrock spend as a percentage of the day's Bedrock bill.
   * @default - Maximum over 1 day
   */
  public metricUnmeteredPercent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(RECONCILIATION_METRIC.unmeteredPercent, props);
  }

  /**
   * Unmetered Bedrock spend, USD.
   * @default - Maximum over 1 day
   */
  public metricUnmeteredUsd(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(RECONCILIATION_METRIC.unmeteredUsd, props);
  }

  private metric(name: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: RECONCILIATION_NAMESPACE, metricName: name, statistic: 'Maximum', period: Duration.days(1), ...props });
  }

  // Least privilege: run queries in this workgroup only; read the two tables' metadata and objects; write results
  // under the workgroup's output location only.
  private grantQuery(props: MeterReconciliationProps, curTable: string): void {
    const stack = Stack.of(this);
    const cost = props.costReporting;
    const role = this.handler.role;
    const database = props.meterTable.databaseName;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: cost.workGroup.name })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${curTable}` }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${props.meterTable.tableName}` }),
      ],
    }));
    // Athena reads as the caller: list and get the objects under each table's location, write the results under
    // the workgroup's output location. Object-level actions need an object wildcard; each is one folder's objects.
    const curObjects = cost.bucket.arnForObjects('*');
    const meterObjects = props.meterTable.bucket.arnForObjects(`${props.meterTable.prefix}/*`);
    const resultObjects = cost.resultsBucket.arnForObjects('athena-results/*');
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket', 's3:GetBucketLocation'],
      resources: [cost.bucket.bucketArn, props.meterTable.bucket.bucketArn, cost.resultsBucket.bucketArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [curObjects, meterObjects] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [resultObjects],
    }));
    // A bucket encrypted with a customer-managed key needs kms:Decrypt too, or Athena's reads fail with AccessDenied.
    cost.bucket.encryptionKey?.grantDecrypt(role);
    props.meterTable.bucket.encryptionKey?.grantDecrypt(role);
    acknowledgeWildcardResource(role, curObjects, 'Athena reads every object of the CUR 2.0 export bucket it queries; the bucket holds only the export.');
    acknowledgeWildcardResource(role, meterObjects, 'Athena reads the meter archive\'s objects under its prefix (one object per Firehose delivery).');
    acknowledgeWildcardResource(role, resultObjects, 'Athena writes and reads query results under the workgroup\'s output location, one object per query.');
  }
}


function validate(scope: Construct, lagDays: number, thresholdPercent: number, minimumUsd: number): void {
  const path = scope.node.path;
  if (!Token.isUnresolved(lagDays) && (!Number.isInteger(lagDays) || lagDays < 1 || lagDays > 14)) {
    throw new Error(`${path}: lagDays is ${lagDays}. Fix: use a whole number of days from 1 to 14; CUR settles a day within about two, the default.`);
  }
  if (!Token.isUnresolved(thresholdPercent) && (!Number.isFinite(thresholdPercent) || thresholdPercent <= 0 || thresholdPercent >= 100)) {
    throw new Error(`${path}: thresholdPercent is ${thresholdPercent}. Fix: use a percentage above 0 and below 100, e.g. 2 (the default).`);
  }
  if (!Token.isUnresolved(minimumUsd) && (!Number.isFinite(minimumUsd) || minimumUsd < 0)) {
    throw new Error(`${path}: minimumUsd is ${minimumUsd}. Fix: use an amount in USD of at least 0, e.g. 0.01 (the default).`);
  }
}

// The known keys of MeterReconciliationProps and what each holds (lib/private/prop-check.ts).
const METER_RECONCILIATION_PROP_KINDS = {
  costReporting: 'object',
  meterTable: 'object',
  lagDays: 'number',
  thresholdPercent: 'number',
  minimumUsd: 'number',
  schedule: 'object',
  topic: 'object',
  emailSubscriptions: 'string[]',
} as const satisfies PropKinds<MeterReconciliationProps>;
