import { Annotations, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import {
  BREAKER_ALL_FEATURES, BREAKER_TABLE, BreakerAlarmRule, BreakerBudgetRule, BreakerConfig, BreakerFeatureConfig, BreakerHandlerConfig,
  DEFAULT_BREAKER_CACHE_TTL_SECONDS, ENV, METRIC, ModelTier,
} from '../../lambda/contract';
import { GenAiFunction } from '../functions';
import { BundledHandler, bundledHandlerCode } from '../functions/bundled-handler';
import { genAiMetric, GenAiMetricScope } from '../observability/genai-metric';

/** What a tripped breaker does to a non-critical feature. */
export enum WhenTripped {
  /** Refuse its requests with 503 `FEATURE_PAUSED`, saying why and when it resets. */
  PAUSE = 'pause',
  /** Keep serving it, routed no higher than `downgradeTo` (the simple tier by default). */
  DOWNGRADE = 'downgrade',
}

/** The calendar period of a budget: a breaker it trips closes by itself when the next period starts. */
export enum BreakerPeriod {
  DAY = 'day',
  MONTH = 'month',
  QUARTER = 'quarter',
  YEAR = 'year',
}

/** A budget whose notifications trip the breaker. */
export interface BudgetTrigger {
  /** The budget's name (AWS Budgets writes it in every notification; budgets are matched by it). */
  readonly budgetName: string;
  /**
   * The features it trips; `*` trips the global breaker (every feature of the application).
   * @default ['*']
   */
  readonly features?: string[];
  /**
   * The budget's period: the breaker stays open until it ends.
   * @default - what the notification says ("per day", "per month"), else BreakerPeriod.MONTH
   */
  readonly period?: BreakerPeriod;
}

/** Where the near-real-time path reads spend: a USD metric summed per hour, and the feature it trips. */
export interface SpendSource {
  /** The cost metric, Sum over one hour (see {@link CircuitBreaker.hourlyCostMetric}). */
  readonly metric: cloudwatch.IMetric;
  /** The feature to trip; `*` for the global breaker (when the metric is the total). */
  readonly feature: string;
}

/** Properties of a {@link CircuitBreaker}. */
export interface CircuitBreakerProps {
  /**
   * The `Application` whose features the breaker governs (the workflows' Application tag).
   * @default - the Application tag of the breaker's function, read at run time
   */
  readonly application?: string;
  /**
   * Budgets whose notifications trip the breaker. Their notifications must reach {@link CircuitBreaker.topic} (or a
   * topic given to `subscribeTo`). More can be added with `tripOnBudget`.
   * @default - none
   */
  readonly budgets?: BudgetTrigger[];
  /**
   * How long a workflow container trusts the breaker states it read; a trip takes effect within this time.
   * @default Duration.seconds(30)
   */
  readonly cacheTtl?: Duration;
  /**
   * The period of a state an alarm opened: it closes when the alarm is OK again or when this period ends.
   * @default BreakerPeriod.MONTH
   */
  readonly alarmPeriod?: BreakerPeriod;
  /**
   * How long audit items are kept (DynamoDB TTL).
   * @default Duration.days(400)
   */
  readonly auditRetention?: Duration;
  /**
   * What happens to the state table when the stack is deleted.
   * @default RemovalPolicy.RETAIN (the audit trail is kept)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the breaker function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * An emergency brake on GenAI spend: AWS Budgets notifications and CloudWatch alarms (through SNS) trip a breaker
 * per feature, or a global one; workflows that use it (`circuitBreaker` prop) then pause their non-critical features
 * (503) or downgrade them to a cheaper model tier, and keep critical ones running.
 *
 * - A DynamoDB table holds a state item per `application#feature` (and `application#*`) and an audit item per change.
 * - A Lambda subscribed to {@link topic} decides what to trip; it is idempotent under repeated notifications.
 * - A budget's trip lasts until the budget period ends (evaluated when read: no job), an alarm's until it is OK.
 * - `tripOnSpend` alarms on the pipeline's own cost metric, so runaway spend trips within minutes rather than at the
 *   next Budgets refresh (several hours).
 * - Reset by hand with `genai-finops breaker reset --table T --feature F`, or by invoking the function with
 *   `{ "reset": { "feature": "F" } }`; both are audited.
 */
export class CircuitBreaker extends Construct {
  /**
   * A cost metric per hour for {@link tripOnSpend}: the pipeline's `CostUSD`, Sum over one hour, across the models
   * of the scope.
   */
  static hourlyCostMetric(scope: GenAiMetricScope): cloudwatch.IMetric {
    return genAiMetric(METRIC.costUsd, scope, { period: Duration.hours(1) });
  }

  /** The state table (partition `pk`, sort `sk`). */
  public readonly table: dynamodb.Table;
  /** The breaker function. */
  public readonly handler: GenAiFunction;
  /** The topic the breaker listens on: point budget notifications and alarm actions here. Encrypted with {@link key}. */
  public readonly topic: sns.Topic;
  /** The key of the topic; AWS Budgets and CloudWatch may use it to publish. */
  public readonly key: kms.Key;
  /** How long workflows cache the states. */
  public readonly cacheTtl: Duration;

  private readonly budgetRules: BreakerBudgetRule[] = [];
  private readonly alarmRules: BreakerAlarmRule[] = [];
  private readonly subscribed = new Set<sns.ITopic>();

  constructor(scope: Construct, id: string, props: CircuitBreakerProps = {}) {
    super(scope, id);
    this.cacheTtl = props.cacheTtl ?? Duration.seconds(DEFAULT_BREAKER_CACHE_TTL_SECONDS);
    validateProps(this, props);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: BREAKER_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: BREAKER_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: BREAKER_TABLE.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the circuit breaker topic of ${this.node.path}`,
      enableKeyRotation: true,
    });
    // AWS Budgets and CloudWatch alarms publish to an encrypted topic only if the key lets them.
    for (const service of ['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      this.key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }));
    }
    this.topic = new sns.Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true });
    this.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowBudgetsPublish',
      principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));

    for (const budget of props.budgets ?? []) this.tripOnBudget(budget);
    const handlerConfig = (): Omit<BreakerHandlerConfig, 'application'> & { application?: string } => ({
      tableName: this.table.tableName,
      ...(props.application ? { application: props.application } : {}),
      budgets: this.budgetRules,
      alarms: this.alarmRules,
      alarmPeriod: props.alarmPeriod ?? BreakerPeriod.MONTH,
      auditRetentionDays: (props.auditRetention ?? Duration.days(400)).toDays(),
    });
    this.handler = new GenAiFunction(this, 'Handler', {
      code: bundledHandlerCode(BundledHandler.BREAKER),
      handler: 'index.handler',
      description: `GenAI circuit breaker ${this.node.path}`,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      environment: {
        [ENV.breakerConfig]: Lazy.string({ produce: () => Stack.of(this).toJsonString(handlerConfig()) }),
      },
    });
    // Conditional updates of state items and puts of audit items (in transactions), nothing else.
    this.table.grant(this.handler.function, 'dynamodb:UpdateItem', 'dynamodb:PutItem');
    this.subscribeTo(this.topic);
  }

  /** Subscribes the breaker to another topic (e.g. one that a budget or an alarm already notifies). */
  subscribeTo(topic: sns.ITopic): void {
    if (this.subscribed.has(topic)) return;
    this.subscribed.add(topic);
    // Not LambdaSubscription: it names the subscription after the topic's construct id, so two topics that are
    // each some construct's `Resource` (a budget topic, an alarm topic) would collide under the function.
    const id = `Subscription${Names.nodeUniqueId(topic.node)}`;
    new sns.Subscription(this, id, { topic, protocol: sns.SubscriptionProtocol.LAMBDA, endpoint: this.handler.function.functionArn });
    this.handler.function.addPermission(`Invoke${id}`, { principal: new iam.ServicePrincipal('sns.amazonaws.com'), sourceArn: topic.topicArn });
  }

  /** Lets `grantee` (a workflow's handler) read breaker states: BatchGetItem and GetItem on the table, nothing else. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:GetItem');
  }

  /** Lets `grantee` reset breakers (the CLI's role, say): invoke the function. */
  grantReset(grantee: iam.IGrantable): iam.Grant {
    return this.handler.function.grantInvoke(grantee);
  }

  /** Trips `features` (default `*`) when the named budget's notifications arrive. */
  tripOnBudget(budget: BudgetTrigger): void {
    const where = `${this.node.path}: tripOnBudget`;
    if (!Token.isUnresolved(budget.budgetName) && !/^[^:\\]{1,100}$/.test(budget.budgetName)) {
      throw new Error(`${where}: budgetName ${JSON.stringify(budget.budgetName)} is not a budget name. Fix: give the budget's name as in AWS Budgets (1 to 100 characters, no ':' or '\\').`);
    }
    if (this.budgetRules.some((b) => b.name === budget.budgetName)) {
      throw new Error(`${where}: budget '${budget.budgetName}' is already mapped. Fix: list all its features in one BudgetTrigger.`);
    }
    this.budgetRules.push({ name: budget.budgetName, features: checkFeatures(where, budget.features), ...(budget.period ? { period: budget.period } : {}) });
  }

  /**
   * Trips `features` (default `*`) while `alarm` is in ALARM; its OK closes what it opened. An `Alarm` of this app gets
   * the topic as its alarm and OK action; for an imported one, add {@link topic} to its actions yourself.
   */
  tripOnAlarm(alarm: cloudwatch.IAlarm, features?: string[]): void {
    this.alarmRules.push({ name: alarm.alarmName, features: checkFeatures(`${this.node.path}: tripOnAlarm`, features) });
    if (alarm instanceof cloudwatch.AlarmBase) {
      const action = new cloudwatchActions.SnsAction(this.topic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /**
   * The near-real-time path: an alarm on `source.metric` (USD per hour) above `thresholdUsdPerHour` that trips
   * `source.feature`. Alarms evaluate a sliding one-hour window every minute, so runaway spend trips within minutes
   * of the recorded cost crossing the threshold, instead of at the next AWS Budgets refresh.
   */
  tripOnSpend(source: SpendSource, thresholdUsdPerHour: number): cloudwatch.Alarm {
    const where = `${this.node.path}: tripOnSpend(${source.feature})`;
    if (!Token.isUnresolved(thresholdUsdPerHour) && !(Number.isFinite(thresholdUsdPerHour) && thresholdUsdPerHour > 0)) {
      throw new Error(`${where}: thresholdUsdPerHour is ${thresholdUsdPerHour}. Fix: use a positive number of US dollars per hour, e.g. 3 × your normal peak hour.`);
    }
    const [feature] = checkFeatures(where, [source.feature]);
    const id = `SpendAlarm${feature === BREAKER_ALL_FEATURES ? 'Total' : feature.replace(/[^A-Za-z0-9]/g, '')}`;
    if (this.node.tryFindChild(id)) throw new Error(`${where}: feature '${feature}' already has a spend alarm. Fix: call tripOnSpend once per feature.`);
    const period = source.metric.toMetricConfig().metricStat?.period;
    if (period && period.toSeconds() !== 3600) {
      Annotations.of(this).addWarningV2('genai-finops:breaker-spend-period',
        `${where}: the metric's period is ${period.toSeconds()} s, so the threshold applies per ${period.toSeconds()} s, not per hour. Use CircuitBreaker.hourlyCostMetric(...) or a metric with period Duration.hours(1).`);
    }
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: source.metric,
      threshold: thresholdUsdPerHour,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `GenAI spend of ${feature === BREAKER_ALL_FEATURES ? 'all features' : `feature ${feature}`} above ${thresholdUsdPerHour} USD per hour: trips the circuit breaker ${this.node.path}.`,
    });
    this.tripOnAlarm(alarm, [feature]);
    return alarm;
  }
}

/** The `guards.breaker` section a workflow writes, from its props. */
export function breakerGuardConfig(scope: IConstruct, breaker: CircuitBreaker, critical: boolean | undefined, whenTripped: WhenTripped | undefined, downgradeTo: ModelTier | undefined): BreakerConfig {
  if (downgradeTo !== undefined && whenTripped !== WhenTripped.DOWNGRADE) {
    throw new Error(`${scope.node.path}: downgradeTo is '${downgradeTo}' but whenTripped is ${whenTripped === undefined ? 'not set (pause)' : `'${whenTripped}'`}. Fix: set whenTripped: WhenTripped.DOWNGRADE, or leave downgradeTo out.`);
  }
  if (critical && whenTripped !== undefined) {
    Annotations.of(scope).addWarningV2('genai-finops:breaker-critical-when-tripped',
      `${scope.node.path}: critical is true, so whenTripped '${whenTripped}' never applies (critical features keep running when the breaker trips). Remove one of them.`);
  }
  const feature: BreakerFeatureConfig = {
    critical: critical ?? false,
    whenTripped: whenTripped ?? WhenTripped.PAUSE,
    ...(downgradeTo !== undefined ? { downgradeTo } : {}),
  };
  return { tableName: breaker.table.tableName, cacheTtlSeconds: breaker.cacheTtl.toSeconds(), features: {}, defaultFeature: feature };
}

function checkFeatures(where: string, features: string[] | undefined): string[] {
  const list = features ?? [BREAKER_ALL_FEATURES];
  if (list.length === 0) throw new Error(`${where}: features is empty. Fix: name the features to trip, or leave it out for '*' (every feature).`);
  for (const f of list) {
    if (!Token.isUnresolved(f) && !/^(\*|[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127})$/.test(f)) {
      throw new Error(`${where}: feature ${JSON.stringify(f)} is not a feature name. Fix: use the Feature tag value (letters, digits, _ . : / = + @ -), or '*' for every feature.`);
    }
  }
  return list;
}

function validateProps(scope: Construct, props: CircuitBreakerProps): void {
  const ttl = props.cacheTtl;
  if (ttl && !ttl.isUnresolved() && ttl.toSeconds() > 3600) {
    throw new Error(`${scope.node.path}: cacheTtl is ${ttl.toSeconds()} seconds; a trip would take that long to reach the workflows. Fix: use at most Duration.hours(1); 30 seconds (the default) keeps reads rare.`);
  }
  const retention = props.auditRetention;
  if (retention && !retention.isUnresolved() && retention.toDays() < 1) {
    throw new Error(`${scope.node.path}: auditRetention is ${retention.toHumanString()}. Fix: keep audit items at least Duration.days(1); the default is 400 days.`);
  }
}
