import { Annotations, Aws, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  AlertDelivery,
  ApiAuthorization,
  ApiWorkflow,
  BedrockInvocationLogging,
  BedrockModel,
  CircuitBreaker,
  CostAnomalyMonitor,
  CostReporting,
  DocumentWorkflow,
  GenAiAlarms,
  GenAiBudgets,
  GenAiDashboard,
  GenAiTags,
  MeterArchive,
  MeterReconciliation,
  MeterTable,
  ScheduledWorkflow,
  TenantStatementView,
  UsageLedger,
  UsageLimits,
  WhenTripped,
} from '../lib';

/** The Application tag of the example (bin/example-app.ts sets it on the app). */
export const EXAMPLE_APPLICATION = 'customer-support-genai';
/**
 * The Environment tag of the example: the budgets the breaker acts on count spend tagged with it, so the example's
 * resources and its budgets must agree (a development deployment would get its own budgets and breaker).
 */
export const EXAMPLE_ENVIRONMENT = 'production';

/**
 * The meter archive's bucket name, the same in both stacks: the workflows stack creates the bucket, the cost-reporting
 * stack (another Region) finds it by name. CloudFormation resolves the account id in each stack to the same account;
 * deploy the workflows stack to one Region per account, or add the Region to the name.
 */
export const EXAMPLE_METER_BUCKET_NAME = `${EXAMPLE_APPLICATION}-meter-${Aws.ACCOUNT_ID}`;

/**
 * The example "customer-support GenAI" stack: a chat API, a document analyser for uploaded tickets and
 * attachments, and a nightly batch that summarises the day's conversations, with every guardrail and the
 * visibility the library offers: a shared usage ledger, a circuit breaker fed by budgets and by the pipeline's own
 * spend alarms, budgets with a Bedrock-deny backstop, a token and cost dashboard, alarms and cost anomaly detection.
 *
 * What trips what (test/bin/example-guardrails.test.ts delivers each signal along the template's subscriptions):
 * the production budget and the total spend alarm pause the documents and nightly workflows (`*`); the
 * ticket-attachments budget and the documents' spend alarms pause the documents workflow; the chat is critical and
 * keeps running. Each alarm's OK closes what it opened; a budget's trip lasts to the end of its month.
 */
export class CustomerSupportStack extends Stack {
  public readonly chat: ApiWorkflow;
  public readonly documents: DocumentWorkflow;
  public readonly nightly: ScheduledWorkflow;
  public readonly breaker: CircuitBreaker;
  public readonly budgets: GenAiBudgets;
  public readonly meterArchive: MeterArchive;
  public readonly alerts: AlertDelivery;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    GenAiTags.apply(this, { team: 'support', costCenter: 'operations', customer: 'internal' });

    // Guardrails first: the workflows obey them.
    const guardrails = new Construct(this, 'Guardrails');
    GenAiTags.apply(guardrails, { feature: 'finops-guardrails' });
    // No budget names typed here: the breaker acts on the budgets and spend alarms whose topics it subscribes to.
    this.breaker = new CircuitBreaker(guardrails, 'Breaker', { application: EXAMPLE_APPLICATION });
    // IAM callers name their tenant (`iam:<tenantId>`); the article's limits have an `enterprise` and a `startup` tier.
    const ledger = new UsageLedger(guardrails, 'UsageLedger', { tenantTiers: { 'iam:acme-corp': 'enterprise' }, defaultTenantTier: 'startup' });

    this.chat = new ApiWorkflow(this, 'Chat', {
      tags: { feature: 'support-chat' },
      authorization: ApiAuthorization.IAM,
      // Haiku, Sonnet and Opus by complexity (the default routing), answers capped at 512 tokens.
      maxTokens: 512,
      // A chat streams: the first words show in about a second, not after the whole answer. Clients that send
      // Accept: text/event-stream get server-sent events; the others the same JSON as a buffered API.
      responseStreaming: true,
      usageLedger: ledger,
      usageLimits: UsageLimits.articleDefaults(),
      circuitBreaker: this.breaker,
      critical: true,
    });
    // The stack has no Region to check the default US profiles against; the example deploys in a US Region.
    Annotations.of(this.chat).acknowledgeWarning('genai-finops:region-agnostic-geography', 'The example deploys in a US Region; set env.region to have the geography checked at synthesis.');
    this.documents = new DocumentWorkflow(this, 'Documents', {
      tags: { feature: 'ticket-attachments' },
      prefix: 'incoming/',
      suffix: '.txt',
      model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'),
      maxTokens: 400,
      circuitBreaker: this.breaker,
      whenTripped: WhenTripped.PAUSE,
    });
    this.nightly = new ScheduledWorkflow(this, 'Nightly', {
      tags: { feature: 'conversation-digest' },
      model: BedrockModel.foundationModel('amazon.nova-lite-v1:0'),
      maxTokens: 300,
      circuitBreaker: this.breaker,
      whenTripped: WhenTripped.PAUSE,
    });

    // Budgets on this deployment's Environment, a Bedrock deny on the non-critical workflows at 100 % as the backstop.
    // Subscribed, the production total trips every feature ('*') and each feature budget its feature, until month end.
    this.budgets = new GenAiBudgets(guardrails, 'Budgets', {
      application: EXAMPLE_APPLICATION,
      productionEnvironment: EXAMPLE_ENVIRONMENT,
      productionAmountUsd: 5_000,
      features: [{ feature: 'support-chat', amountUsd: 3_000 }, { feature: 'ticket-attachments', amountUsd: 1_500 }],
      nonCriticalRoles: [this.documents.role, this.nightly.role],
    });
    this.breaker.subscribeTo(this.budgets.topic);

    // Visibility: the dashboard, alarms and cost anomalies. Subscribed, each workflow's spend alarms (hourly and
    // anomaly) trip its feature within minutes and the total trips '*'; their OK closes what they opened.
    const visibility = new Construct(this, 'Visibility');
    GenAiTags.apply(visibility, { feature: 'finops-visibility' });
    const workflows = [this.chat.monitored(), this.documents.monitored(), this.nightly.monitored()];
    const dashboard = new GenAiDashboard(visibility, 'Dashboard', { workflows });
    const alarms = new GenAiAlarms(visibility, 'Alarms', { workflows, hourlySpendThresholdUsd: 20, workflowHourlySpendThresholdUsd: 10 });
    this.breaker.subscribeTo(alarms.spendTopic);
    new CostAnomalyMonitor(visibility, 'CostAnomalies', { applications: [EXAMPLE_APPLICATION], topic: alarms.topic });
    // The alerts in the team's chat, each with its cost chart: the alarms' and anomalies' topic, the budgets' and the
    // breaker's trips and resets. The webhook's URL is a secret created with a random placeholder; put the URL in after deploy
    // (`aws secretsmanager put-secret-value --secret-id <AlertWebhookUrl's ARN> --secret-string https://hooks.slack.com/...`).
    // Until then each alert fails to post, is retried, then waits in the dead-letter queue.
    const webhookUrl = new secretsmanager.Secret(visibility, 'AlertWebhookUrl', { description: 'The incoming webhook URL the GenAI FinOps alerts are posted to (Slack)' });
    this.alerts = new AlertDelivery(visibility, 'Alerts', {
      topics: [alarms.topic, this.budgets.topic],
      circuitBreaker: this.breaker,
      webhookSecret: webhookUrl,
      workflows,
      dashboard,
      application: EXAMPLE_APPLICATION,
    });
    // Alerts that could not be posted: told on the alarms' topic (its e-mail subscribers and any chat channel see it;
    // the webhook, being the thing that failed, may not).
    this.alerts.deadLetterAlarm?.addAlarmAction(new cloudwatchActions.SnsAction(alarms.topic));
    // Every model call's request and answer, for audits and for working out what a costly call sent (account-wide).
    new BedrockInvocationLogging(visibility, 'InvocationLogging');
    // The meter's EMF records to S3, for the daily reconciliation with the bill and the tenant statements. Here, not
    // next to the cost reporting: a log group's subscription delivers only to a Firehose stream in its own Region,
    // and Firehose writes to S3 buckets, so the archive lives where the workflows' log groups are. The bucket has a
    // fixed name, which the cost-reporting stack (us-east-1) finds it by; Athena reads S3 in other Regions.
    this.meterArchive = new MeterArchive(visibility, 'MeterArchive', {
      bucketName: EXAMPLE_METER_BUCKET_NAME,
      logGroups: [this.chat.logGroup, this.documents.logGroup, this.nightly.logGroup],
    });
  }
}

/** Props of {@link CostReportingStack}. */
export interface CostReportingStackProps extends StackProps {
  /**
   * The name of the meter archive's bucket (the workflows stack's `MeterArchive`), in any Region of this account.
   * @default EXAMPLE_METER_BUCKET_NAME
   */
  readonly meterBucketName?: string;
}

/**
 * The bill side: CUR 2.0, Glue and Athena, in us-east-1, where AWS Data Exports is served; and, over the meter
 * archive the workflows stack writes in its own Region, the meter's table, the daily meter ↔ bill reconciliation and
 * the tenant statement view. Athena queries S3 data in other Regions (cross-Region S3 transfer is charged, a few MB a
 * day here: https://docs.aws.amazon.com/athena/latest/ug/querying-across-regions.html), so the Glue tables and the
 * workgroup stay together in one stack and the archive's bucket is found by name.
 */
export class CostReportingStack extends Stack {
  public readonly costReporting: CostReporting;
  public readonly meterTable: MeterTable;
  public readonly reconciliation: MeterReconciliation;
  public readonly statementView: TenantStatementView;

  constructor(scope: Construct, id: string, props: CostReportingStackProps = {}) {
    super(scope, id, { ...props, env: { ...props.env, region: 'us-east-1' } });
    GenAiTags.apply(this, { team: 'finops', costCenter: 'operations', feature: 'cost-reporting' });
    this.costReporting = new CostReporting(this, 'CostReporting', { monthlyBudgetUsd: 5_000 });
    const meterBucket = s3.Bucket.fromBucketName(this, 'MeterArchiveBucket', props.meterBucketName ?? EXAMPLE_METER_BUCKET_NAME);
    this.meterTable = new MeterTable(this, 'MeterTable', { costReporting: this.costReporting, bucket: meterBucket });
    this.reconciliation = new MeterReconciliation(this, 'Reconciliation', { costReporting: this.costReporting, meterTable: this.meterTable });
    this.statementView = new TenantStatementView(this, 'TenantStatement', { meterTable: this.meterTable });
  }
}
