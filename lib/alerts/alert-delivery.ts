import { Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_DEFAULTS, NOTIFIER_CLAIMS_TABLE, NOTIFIER_CONFIG_ENV, NotifierConfig, WebhookFormatName } from '../../shared/contract';
import { GenAiFunction } from '../functions';
import { estimatedEnvironmentBytes, LAMBDA_ENVIRONMENT_LIMIT } from '../functions/environment-size';
import type { CircuitBreaker } from '../guardrails/circuit-breaker';
import { accountBudgetsArn } from '../guardrails/budgets-source';
import type { GenAiDashboard } from '../observability/genai-dashboard';
import { MonitoredWorkflow, validateWorkflows } from '../observability/monitored-workflow';
import { BundledHandler, bundledHandlerCode } from '../private/bundled-handler';
import type { MatchesContract } from '../private/matches-contract';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';
import { createStateTable } from '../private/state-table';
import { alertChartSpec } from './alert-widgets';

/** The notifier's timeout: two alerts of at most 20 s each (chart 10 s, webhook 5 s, claims and secret 5 s), and room. */
const NOTIFIER_TIMEOUT_SECONDS = 60;
/** SQS messages per notifier invocation. */
const NOTIFIER_BATCH_SIZE = 2;
/** The image bucket keeps pictures one day; a chart's URL may not outlive its picture. */
const IMAGE_RETENTION_SECONDS = 86_400;

/** The message format the notifier posts to the webhook. */
export enum WebhookFormat {
  /** A Slack incoming webhook: Block Kit blocks with the chart as an image block. */
  SLACK = 'slack',
  /** A Microsoft Teams webhook (Workflows): an Adaptive Card with the chart as an Image element. */
  TEAMS = 'teams',
  /** Any HTTPS endpoint: the alert, links, runbook step and chart URL as JSON. */
  JSON = 'json',
}
// The notifier reads the contract's WEBHOOK_FORMATS: this stops compiling when the enum and that list disagree.
const WEBHOOK_FORMAT_IS_CONTRACT: MatchesContract<`${WebhookFormat}`, WebhookFormatName> = true;
void WEBHOOK_FORMAT_IS_CONTRACT;

/** Properties of {@link AlertDelivery}. */
export interface AlertDeliveryProps {
  /**
   * The alert topics to deliver: `GenAiAlarms.topic`, `CostAnomalyMonitor.topic`, `GenAiBudgets.topic`, a
   * `BudgetAlertTopic.topic`, or any topic CloudWatch alarms, AWS Budgets or Cost Anomaly Detection publish to.
   */
  readonly topics: sns.ITopic[];
  /**
   * A circuit breaker whose changes to deliver (trips, joins, releases that leave it open, closes). Its function is
   * granted read on its own table (to name who else holds a breaker open). Its function's successful invocations are sent to the
   * delivery queue (a Lambda on-success destination): after it decided, never in its way.
   * @default - no breaker messages
   */
  readonly circuitBreaker?: CircuitBreaker;
  /**
   * The secret holding the incoming webhook's URL (Slack, Teams or any HTTPS endpoint), as its whole value or as
   * `{"url": "https://..."}`. Read at run time by the notifier only; never logged.
   * @default - no webhook notifier (chat delivery through AWS Chatbot only)
   */
  readonly webhookSecret?: secretsmanager.ISecret;
  /**
   * The format of the webhook's messages.
   * @default WebhookFormat.SLACK
   */
  readonly webhookFormat?: WebhookFormat;
  /**
   * The workflows whose cost chart the messages carry (an alert names its feature; the others get the total).
   * @default - messages without a chart
   */
  readonly workflows?: MonitoredWorkflow[];
  /**
   * The dashboard the messages link to.
   * @default - no dashboard link
   */
  readonly dashboard?: GenAiDashboard;
  /**
   * The Application the breaker's messages name.
   * @default - none named
   */
  readonly application?: string;
  /**
   * How long a chart's presigned URL works (the chat application fetches the picture when it shows the message).
   * At most 1 day: the bucket deletes pictures after a day. The URL may stop working sooner: it is signed with the
   * notifier's temporary session credentials, and a presigned URL dies with the credentials that signed it.
   * @default Duration.hours(1)
   */
  readonly imageUrlExpiry?: Duration;
  /**
   * The time range the chart shows, ending now.
   * @default Duration.hours(24)
   */
  readonly chartRange?: Duration;
  /**
   * Deliveries of one message before it goes to the dead-letter queue (SQS `maxReceiveCount`), about 6 minutes apart (the queue's visibility timeout).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * The Slack workspace (team) ID authorised in Amazon Q Developer in chat applications (AWS Chatbot). Set with
   * `slackChannelId`.
   * @default - no Chatbot Slack channel
   */
  readonly slackWorkspaceId?: string;
  /** The Slack channel ID. @default - no Chatbot Slack channel */
  readonly slackChannelId?: string;
  /** The Microsoft Teams tenant ID authorised in Chatbot. Set with `teamsTeamId` and `teamsChannelId`. @default - no Chatbot Teams channel */
  readonly teamsTenantId?: string;
  /** The Microsoft Teams team ID. @default - no Chatbot Teams channel */
  readonly teamsTeamId?: string;
  /** The Microsoft Teams channel ID. @default - no Chatbot Teams channel */
  readonly teamsChannelId?: string;
  /**
   * Retention of the notifier's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Delivers the library's alerts to chat: spend alarms, the anomaly band, the 20,000-token alarm, budgets, Cost
 * Anomaly Detection and the circuit breaker's trips and resets.
 *
 * - Through Amazon Q Developer in chat applications (AWS Chatbot) to a Slack or Teams channel, when its IDs are
 *   given: the topics are the channel's notification topics, with a guardrail that allows reading alarms, metric
 *   charts and budgets only.
 * - Through a notifier function posting to an incoming webhook, when `webhookSecret` is given: topics → an SQS queue
 *   (encrypted, TLS only) → the notifier, with retries, a dead-letter queue and its alarm. Each message says what
 *   fired, for which application, feature, model or tenant, the current and threshold values, the cost trend as a
 *   picture (the dashboard's widget drawn by CloudWatch `GetMetricWidgetImage`, shared as a presigned URL of a
 *   private bucket), links to the dashboard and Cost Explorer, and the framework's runbook step. One alarm transition
 *   is posted once (a DynamoDB claim per transition), however many times it is delivered.
 *
 * Nothing here is in the circuit breaker's path: the breaker subscribes to its own topics, and its decisions reach the
 * queue after it has acted.
 *
 * Costs (us-east-1): the secret $0.40 a month; SQS, Lambda and DynamoDB on demand, cents for thousands of alerts;
 * `GetMetricWidgetImage` $0.02 per 1,000 metrics requested (one chart per message); S3 storage of pictures kept a day.
 */
export class AlertDelivery extends Construct {
  /** The queue the topics deliver to (absent without a webhook). */
  public readonly queue?: sqs.Queue;
  /** Messages the notifier could not post after `maxReceiveCount` deliveries. */
  public readonly deadLetterQueue?: sqs.Queue;
  /** Fires when a message is in the dead-letter queue: the webhook refused or failed for `maxReceiveCount` deliveries (about 30 minutes by default). */
  public readonly deadLetterAlarm?: cloudwatch.Alarm;
  /** The notifier function. */
  public readonly notifier?: GenAiFunction;
  /** The claims that make one alarm transition one post. */
  public readonly claimsTable?: dynamodb.Table;
  /** The private bucket of the chart pictures (kept one day). */
  public readonly imageBucket?: s3.Bucket;
  /** The Chatbot Slack channel, when configured. */
  public readonly slackChannel?: chatbot.SlackChannelConfiguration;
  /** The Chatbot Microsoft Teams channel, when configured. */
  public readonly teamsChannel?: chatbot.CfnMicrosoftTeamsChannelConfiguration;

  constructor(scope: Construct, id: string, props: AlertDeliveryProps) {
    super(scope, id);
    checkProps(this, 'AlertDeliveryProps', props, ALERT_DELIVERY_PROP_KINDS);
    validateProps(this, props);

    if (props.webhookSecret) {
      const deliveryAttempts = props.maxReceiveCount ?? 5;
      // One alert may take the chart's 10 s limit, the webhook's 5 s and about 5 s of claims and the secret: 20 s
      // (alertTimeBudgetMs). A batch of 2 fits a 60 s timeout with room to spare; the notifier also starts no alert
      // it cannot finish (a breaker record may carry several), leaving its record to the queue.
      const notifierTimeout = Duration.seconds(NOTIFIER_TIMEOUT_SECONDS);
      this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the alert delivery queue.' });
      // SSE-SQS rather than a customer managed key: SNS delivers to it without a key policy (a KMS-encrypted queue
      // needs one for sns.amazonaws.com), and the alerts are no more secret than the topics' own subscribers see.
      this.queue = new sqs.Queue(this, 'Queue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // Lambda's advice for an SQS event source: at least six times the function's timeout.
        visibilityTimeout: Duration.seconds(notifierTimeout.toSeconds() * 6),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: deliveryAttempts },
      });
      this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Alerts of ${this.node.path} could not be posted to the webhook after ${deliveryAttempts} attempts: check the notifier's log (the webhook's answer) and the secret's URL, then redrive the dead-letter queue.`,
      });
      for (const topic of props.topics) topic.addSubscription(new subscriptions.SqsSubscription(this.queue));
      if (props.circuitBreaker) {
        // One event invoke configuration per function: the breaker's successful decisions go to the queue. Lambda
        // sends them after the invocation, so a slow or failing webhook never delays or fails the breaker.
        new lambda.EventInvokeConfig(this, 'BreakerDecisions', {
          function: props.circuitBreaker.handler.function,
          onSuccess: new destinations.SqsDestination(this.queue),
        });
      }

      // Claims only prevent duplicate posts for a fortnight: nothing to keep when the stack goes.
      this.claimsTable = createStateTable(this, 'Claims', NOTIFIER_CLAIMS_TABLE, RemovalPolicy.DESTROY);

      this.imageBucket = new s3.Bucket(this, 'Images', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ id: 'ExpireCharts', expiration: Duration.seconds(IMAGE_RETENTION_SECONDS), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
        removalPolicy: RemovalPolicy.DESTROY,
        autoDeleteObjects: false,
      });
      Validations.of(this.imageBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'The bucket holds only chart pictures the notifier writes, kept one day and read through presigned URLs; access logs would outlive what they log.',
      });

      const imageUrlExpiry = props.imageUrlExpiry ?? Duration.seconds(ALERT_DEFAULTS.imageUrlExpirySeconds);
      const chart = alertChartSpec(props.workflows ?? []);
      const config = (): NotifierConfig => ({
        webhookSecretArn: props.webhookSecret!.secretArn,
        format: props.webhookFormat ?? WebhookFormat.SLACK,
        claimsTable: this.claimsTable!.tableName,
        claimRetentionDays: ALERT_DEFAULTS.claimRetentionDays,
        imageBucket: this.imageBucket!.bucketName,
        imageUrlExpirySeconds: imageUrlExpiry.toSeconds(),
        chartRange: (props.chartRange ?? Duration.hours(24)).toIsoString(),
        webhookTimeoutMs: ALERT_DEFAULTS.webhookTimeoutMs,
        ...(props.application ? { application: props.application } : {}),
        ...(props.dashboard ? { dashboardName: props.dashboard.dashboard.dashboardName } : {}),
        ...(chart ? { chart } : {}),
      });
      this.notifier = new GenAiFunction(this, 'Notifier', {
        code: bundledHandlerCode(BundledHandler.NOTIFIER),
        handler: 'index.handler',
        description: `GenAI alert notifier ${this.node.path}`,
        timeout: notifierTimeout,
        logRetention: props.logRetention,
        environment: { [NOTIFIER_CONFIG_ENV]: Lazy.string({ produce: () => Stack.of(this).toJsonString(config()) }) },
      });
      const fn = this.notifier.function;
      fn.addEventSource(new eventSources.SqsEventSource(this.queue, {
        batchSize: NOTIFIER_BATCH_SIZE,
        reportBatchItemFailures: true,
        // Incoming webhooks are rate limited (Slack: about one message a second): two pollers at most.
        maxConcurrency: 2,
      }));
      props.webhookSecret.grantRead(fn);
      if (props.circuitBreaker) {
        // The breaker reads its state after a source joins or lets go, so that its decision (and this message) names
        // who else still holds the breaker open.
        props.circuitBreaker.grantRead(props.circuitBreaker.handler.function);
      }
      const workflowCount = props.workflows?.length ?? 0;
      const notifierEnvironment = this.notifier.function.node.defaultChild as lambda.CfnFunction;
      this.node.addValidation({
        validate: () => {
          const variables = (Stack.of(this).resolve(notifierEnvironment.environment) as { variables?: Record<string, string> } | undefined)?.variables ?? {};
          const bytes = estimatedEnvironmentBytes(this, variables);
          return bytes <= LAMBDA_ENVIRONMENT_LIMIT ? [] : [
            `${this.node.path}: the notifier's configuration for ${workflowCount} workflows would take about ${bytes} bytes of environment once deployed ` +
            `(about 100 bytes per workflow's chart series); Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} for all variables. ` +
            'Fix: pass fewer workflows (one AlertDelivery per application, each with its own workflows), or leave workflows out (messages without a chart).',
          ];
        },
      });
      // Slack and Teams issue an incoming webhook's URL; Secrets Manager has no rotation that could replace it.
      const cfnSecret = props.webhookSecret.node.defaultChild;
      if (cfnSecret instanceof secretsmanager.CfnSecret) {
        Validations.of(cfnSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'The secret holds an incoming webhook URL issued by Slack, Teams or the endpoint\'s owner: no rotation function can issue a new one. Replace it there when it leaks.' });
      }
      this.claimsTable.grant(fn, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
      // Write the pictures and sign their URLs (a presigned GET is the signer's GetObject), under charts/ only.
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [this.imageBucket.arnForObjects('charts/*')] }));
      acknowledgeWildcardResource(fn.role!, this.imageBucket.arnForObjects('charts/*'),
        'The notifier writes one picture per alert under charts/ with a name it derives from the alert, and signs a URL to read it.');
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricWidgetImage'], resources: ['*'] }));
      acknowledgeWildcardResource(fn.role!, '*',
        'cloudwatch:GetMetricWidgetImage supports no resource-level permissions (Service Authorization Reference); X-Ray tracing likewise.');
    }

    if (props.slackChannelId || props.teamsChannelId) {
      const chat = this.chatChannels(props);
      this.slackChannel = chat.slack;
      this.teamsChannel = chat.teams;
    }
  }

  // Amazon Q Developer in chat applications (AWS Chatbot) relays the topics' notifications and draws alarm charts
  // with its channel role. Without a guardrail it applies AdministratorAccess to the channel's members' commands;
  // this one allows what a notification needs: reading alarms, their charts and budgets.
  private chatChannels(props: AlertDeliveryProps): { slack?: chatbot.SlackChannelConfiguration; teams?: chatbot.CfnMicrosoftTeamsChannelConfiguration } {
    const stack = Stack.of(this);
    const alarmsOfAccount = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`;
    const budgetsOfAccount = accountBudgetsArn(stack);
    const statements = [
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: [alarmsOfAccount] }),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricWidgetImage', 'cloudwatch:GetMetricData'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['budgets:ViewBudget'], resources: [budgetsOfAccount] }),
    ];
    const guardrail = new iam.ManagedPolicy(this, 'ChatGuardrail', {
      description: 'Chat channels of the GenAI alerts may read alarms, metric charts and budgets, and nothing else.',
      statements,
    });
    const role = new iam.Role(this, 'ChatRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Lets Amazon Q Developer in chat applications draw the GenAI alerts\' alarm charts.',
      inlinePolicies: { Notifications: new iam.PolicyDocument({ statements }) },
    });
    const reason = (what: string) => `${what}: alarms and budgets of this account, any of which may notify the channel; metric charts and data support no resource-level permissions.`;
    for (const scope of [guardrail, role]) {
      acknowledgeWildcardResource(scope, alarmsOfAccount, reason('Chat notifications read alarms'));
      acknowledgeWildcardResource(scope, budgetsOfAccount, reason('Chat notifications read budgets'));
      acknowledgeWildcardResource(scope, '*', reason('Chat notifications draw charts'));
    }
    const slack = props.slackWorkspaceId && props.slackChannelId
      ? new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: `genai-alerts-${this.node.addr}`.slice(0, 128),
        slackWorkspaceId: props.slackWorkspaceId,
        slackChannelId: props.slackChannelId,
        notificationTopics: props.topics,
        guardrailPolicies: [guardrail],
        role,
        loggingLevel: chatbot.LoggingLevel.ERROR,
      })
      : undefined;
    const teams = props.teamsTenantId && props.teamsTeamId && props.teamsChannelId
      ? new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: `genai-alerts-teams-${this.node.addr}`.slice(0, 128),
        iamRoleArn: role.roleArn,
        teamsTenantId: props.teamsTenantId,
        teamId: props.teamsTeamId,
        teamsChannelId: props.teamsChannelId,
        snsTopicArns: props.topics.map((t) => t.topicArn),
        guardrailPolicies: [guardrail.managedPolicyArn],
        loggingLevel: 'ERROR',
      })
      : undefined;
    return { slack, teams };
  }
}

function validateProps(scope: Construct, props: AlertDeliveryProps): void {
  const where = scope.node.path;
  if (!Array.isArray(props.topics) || props.topics.length === 0) {
    throw new Error(`${where}: topics is ${props.topics === undefined ? 'missing' : 'empty'}. Fix: pass the alert topics to deliver, e.g. topics: [alarms.topic, anomalies.topic, budgets.topic].`);
  }
  if (Boolean(props.slackWorkspaceId) !== Boolean(props.slackChannelId)) {
    throw new Error(`${where}: Slack delivery needs both slackWorkspaceId and slackChannelId; got ${props.slackWorkspaceId ? 'only slackWorkspaceId' : 'only slackChannelId'}. Fix: set both (from the Amazon Q Developer in chat applications console), or neither.`);
  }
  const teams = [props.teamsTenantId, props.teamsTeamId, props.teamsChannelId].filter(Boolean).length;
  if (teams !== 0 && teams !== 3) {
    throw new Error(`${where}: Microsoft Teams delivery needs teamsTenantId, teamsTeamId and teamsChannelId; got ${teams} of 3. Fix: set all three, or none.`);
  }
  if (!props.webhookSecret && !props.slackChannelId && !props.teamsChannelId) {
    throw new Error(`${where}: no destination: neither webhookSecret nor a Slack or Teams channel is set. Fix: pass webhookSecret (a secret holding the incoming webhook URL) or slackWorkspaceId and slackChannelId.`);
  }
  if (!props.webhookSecret) {
    for (const [name, given] of [['circuitBreaker', props.circuitBreaker], ['workflows', props.workflows], ['dashboard', props.dashboard], ['webhookFormat', props.webhookFormat]] as const) {
      if (given !== undefined) throw new Error(`${where}: ${name} is set but webhookSecret is not; ${name} is used by the webhook notifier only. Fix: pass webhookSecret, or leave ${name} out.`);
    }
  }
  if (props.workflows) validateWorkflows(scope, props.workflows);
  const expiry = props.imageUrlExpiry;
  // The picture is deleted after a day (the image bucket's lifecycle rule), so a longer URL would point at nothing.
  if (expiry && !Token.isUnresolved(expiry.toSeconds()) && (expiry.toSeconds() < 60 || expiry.toSeconds() > IMAGE_RETENTION_SECONDS)) {
    throw new Error(`${where}: imageUrlExpiry is ${expiry.toSeconds()} seconds. Fix: between 60 seconds and 1 day (the pictures are deleted after a day; `
      + 'the URL also dies with the notifier\'s session credentials that sign it), e.g. Duration.hours(1).');
  }
  const range = props.chartRange;
  if (range && (range.toSeconds() < 3600 || range.toSeconds() > 15 * 86_400)) {
    throw new Error(`${where}: chartRange is ${range.toHumanString()}. Fix: between 1 hour and 15 days (the chart shows hourly cost), e.g. Duration.hours(24).`);
  }
  const attempts = props.maxReceiveCount;
  if (attempts !== undefined && !Token.isUnresolved(attempts) && !(Number.isInteger(attempts) && attempts >= 1 && attempts <= 1000)) {
    throw new Error(`${where}: maxReceiveCount is ${attempts}. Fix: a whole number from 1 to 1000 (SQS's range), e.g. 5.`);
  }
}

// The known keys of AlertDeliveryProps and what each holds (lib/private/prop-check.ts).
const ALERT_DELIVERY_PROP_KINDS = {
  topics: { items: 'object' },
  circuitBreaker: 'object',
  webhookSecret: 'object',
  webhookFormat: oneOf(WebhookFormat, 'WebhookFormat'),
  workflows: { items: 'object' },
  dashboard: 'object',
  application: 'string',
  imageUrlExpiry: 'object',
  chartRange: 'object',
  maxReceiveCount: 'number',
  slackWorkspaceId: 'string',
  slackChannelId: 'string',
  teamsTenantId: 'string',
  teamsTeamId: 'string',
  teamsChannelId: 'string',
  logRetention: 'number',
} as const satisfies PropKinds<AlertDeliveryProps>;
