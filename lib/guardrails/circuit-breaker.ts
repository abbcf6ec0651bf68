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
  BreakerMode, BreakerPeriodUnit, breakerTripEffect, DEFAULT_BREAKER_AUDIT_RETENTION_DAYS, DEFAULT_BREAKER_CACHE_TTL_SECONDS, DEFAULT_BREAKER_THROTTLE_SHARE, ENV, METRIC, ModelTier,
} from '../../shared/contract';
import type { MatchesContract } from '../private/matches-contract';
import { GenAiFunction } from '../functions';
import { GenAiTags } from '../tagging/genai-tags';
import { budgetNamesIn, declaredBreakerSignal, periodOfBudget, signalsOnTopics } from './breaker-signals';
import { checkSpendMetricModels, rememberMetricScope } from '../observability/spend-models-check';
import { BundledHandler, bundledHandlerCode } from '../private/bundled-handler';
import { allowServiceToPublish, allowServiceToUseKey, TopicPublisher } from '../private/encrypted-topic';
import { genAiMetric, GenAiMetricScope } from '../observability/genai-metric';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';
import { createStateTable } from '../private/state-table';

/** What a tripped breaker does to a non-critical feature. */
export enum WhenTripped {
  /** Refuse its requests with 503 `FEATURE_PAUSED`, saying why and when it resets. */
  PAUSE = 'pause',
  /** Keep serving it, routed no higher than `downgradeTo` (the simple tier by default). */
  DOWNGRADE = 'downgrade',
  /**
   * Admit only `throttleTo` of its requests (a quarter by default) and refuse the rest with 429 `FEATURE_THROTTLED`:
   * its request rate drops to that share until the breaker closes.
   */
  THROTTLE = 'throttle',
}
// The guard reads the contract's BREAKER_MODES: this stops compiling when the enum and that list disagree.
const WHEN_TRIPPED_IS_CONTRACT: MatchesContract<`${WhenTripped}`, BreakerMode> = true;
void WHEN_TRIPPED_IS_CONTRACT;

/** The calendar period of a budget: a breaker it trips closes by itself when the next period starts. */
export enum BreakerPeriod {
  DAY = 'day',
  MONTH = 'month',
  QUARTER = 'quarter',
  YEAR = 'year',
}
// The breaker Lambda reads the contract's BREAKER_PERIOD_UNITS: this stops compiling when the enum and that list disagree.
const BREAKER_PERIOD_IS_CONTRACT: MatchesContract<`${BreakerPeriod}`, BreakerPeriodUnit> = true;
void BREAKER_PERIOD_IS_CONTRACT;

/** A budget whose notifications trip the breaker. */
export interface BudgetTrigger {
  /**
   * The budget's name (AWS Budgets writes it in every notification; budgets are matched by it). A name no budget of
   * the app has is a synthesis warning (a budget made outside the app is fine; a misspelt one never trips).
   */
  readonly budgetName: string;
  /**
   * The features it trips; `*` trips the global breaker (every feature of the application).
   * @default ['*']
   */
  readonly features?: string[];
  /**
   * The budget's period: the breaker stays open until it ends.
   * @default - the `TimeUnit` of the app's budget of that name (a quarterly budget trips until the quarter ends),
   * else what the notification says ("per day", "per month"), else BreakerPeriod.MONTH
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

/**
 * A circuit breaker workflows can obey (`circuitBreaker` on a workflow): the state table their handlers read, how long
 * they trust what they read, and the grant they need. Implemented by {@link CircuitBreaker}, and by
 * `CircuitBreaker.fromTable` for a breaker of another stack.
 */
export interface ICircuitBreaker extends IConstruct {
  /** The state table: partition key `pk`, sort key `sk` (strings). */
  readonly table: dynamodb.ITable;
  /** How long a workflow container trusts the breaker states it read. */
  readonly cacheTtl: Duration;
  /** Lets `grantee` (a workflow's handler) read breaker states: BatchGetItem and GetItem on the table (and its key, if a customer managed one). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** Options of {@link CircuitBreaker.fromTable}. */
export interface CircuitBreakerFromTableOptions {
  /**
   * How long a workflow container trusts the breaker states it read; a trip takes effect within this time.
   * @default Duration.seconds(30)
   */
  readonly cacheTtl?: Duration;
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
   * topic given to `subscribeTo`). More can be added with `tripOnBudget`. The budgets of a `GenAiBudgets` whose
   * topic the breaker subscribes to need no entry: each trips what it counts (see `subscribeTo`).
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
 * (503), throttle them to a share of their requests (429 for the rest) or downgrade them to a cheaper model tier,
 * and keep critical ones running.
 *
 * - A DynamoDB table holds a state item per `application#feature` (and `application#*`) and an audit item per change.
 * - A Lambda subscribed to {@link topic} decides what to trip; it is idempotent under repeated notifications.
 * - A budget's trip lasts until the budget period ends (evaluated when read: no job), an alarm's until it is OK.
 * - `tripOnSpend` alarms on the pipeline's own cost metric, so runaway spend trips within minutes rather than at the
 *   next Budgets refresh (several hours).
 * - Reset by hand with `genai-finops breaker reset --table T --feature F`, or by invoking the function with
 *   `{ "reset": { "feature": "F" } }`; both are audited.
 */
export class CircuitBreaker extends Construct implements ICircuitBreaker {
  /**
   * A breaker that already exists, by its state table, e.g. another stack's `CircuitBreaker` table:
   * `dynamodb.Table.fromTableAttributes(this, 'BreakerTable', { tableArn, encryptionKey })` (give `encryptionKey`
   * when the table is encrypted with a customer managed key). Workflows given it obey its states; what trips it (its
   * budgets, alarms and function) stays with the stack that owns it. Nothing is created.
   */
  static fromTable(scope: Construct, id: string, table: dynamodb.ITable, options: CircuitBreakerFromTableOptions = {}): ICircuitBreaker {
    return new ImportedCircuitBreaker(scope, id, table, options);
  }

  /**
   * A cost metric per hour for {@link tripOnSpend}: the pipeline's `CostUSD`, Sum over one hour, across the models
   * of the scope.
   */
  static hourlyCostMetric(scope: GenAiMetricScope): cloudwatch.IMetric {
    // Remembered so that synthesis can warn when the models typed here miss one the workflow routes to.
    return rememberMetricScope(genAiMetric(METRIC.costUsd, scope, { period: Duration.hours(1) }), scope);
  }

  /** The state table (partition `pk`, sort `sk`). */
  public readonly table: dynamodb.ITable;
  /** The breaker function. */
  public readonly handler: GenAiFunction;
  /** The topic the breaker listens on: point budget notifications and alarm actions here. Encrypted with {@link key}. */
  public readonly topic: sns.Topic;
  /** The key of the topic; AWS Budgets and CloudWatch may use it to publish. */
  public readonly key: kms.Key;
  /** How long workflows cache the states. */
  public readonly cacheTtl: Duration;

  private readonly budgetRules: Array<BreakerBudgetRule & { readonly where: string }> = [];
  private readonly alarmRules: Array<{ readonly alarm: cloudwatch.IAlarm; readonly features: string[]; readonly where: string }> = [];
  private readonly subscribed = new Set<sns.ITopic>();
  private readonly spendSources: Array<{ readonly source: SpendSource; readonly where: string }> = [];
  private readonly application?: string;
  private derived?: BreakerWiring;

  constructor(scope: Construct, id: string, props: CircuitBreakerProps = {}) {
    super(scope, id);
    checkProps(this, 'CircuitBreakerProps', props, CIRCUIT_BREAKER_PROP_KINDS);
    this.cacheTtl = validatedCacheTtl(this, props.cacheTtl);
    this.application = props.application;
    validateProps(this, props);

    this.table = createStateTable(this, 'Table', BREAKER_TABLE, props.removalPolicy ?? RemovalPolicy.RETAIN);

    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the circuit breaker topic of ${this.node.path}`,
      enableKeyRotation: true,
    });
    // AWS Budgets and CloudWatch alarms publish to an encrypted topic only if the key lets them; and the topic's
    // policy (enforceSSL creates one, replacing SNS's default) must let each publish, for this account's budgets
    // and alarms only (aws:SourceAccount and aws:SourceArn: the confused-deputy guard).
    allowServiceToUseKey(this.key, TopicPublisher.BUDGETS, this);
    allowServiceToUseKey(this.key, TopicPublisher.CLOUDWATCH_ALARMS, this);
    this.topic = new sns.Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true });
    // The Sid deployed stacks already carry.
    allowServiceToPublish(this.topic, TopicPublisher.BUDGETS, this, 'AllowBudgetsPublish');
    allowServiceToPublish(this.topic, TopicPublisher.CLOUDWATCH_ALARMS, this);

    for (const budget of props.budgets ?? []) this.tripOnBudget(budget);
    const handlerConfig = (): Omit<BreakerHandlerConfig, 'application'> & { application?: string } => ({
      tableName: this.table.tableName,
      ...(props.application ? { application: props.application } : {}),
      budgets: this.wiring().budgets,
      alarms: this.wiring().alarms,
      alarmPeriod: props.alarmPeriod ?? BreakerPeriod.MONTH,
      auditRetentionDays: (props.auditRetention ?? Duration.days(DEFAULT_BREAKER_AUDIT_RETENTION_DAYS)).toDays(),
      ...optionalEffects(tripEffects(this)),
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
    this.node.addValidation({ validate: () => this.validateWiring() });
  }

  /**
   * Subscribes the breaker to another topic (e.g. one that a budget or an alarm already notifies).
   *
   * The breaker then acts on every alarm and budget of the app whose template notifies the topic: those mapped with
   * `tripOnAlarm`/`tripOnBudget`, and those whose construct says what they count (`GenAiBudgets`: the totals trip
   * `*` for their period, a feature budget its feature; `GenAiAlarms`' spend alarms: a workflow's alarm its feature,
   * the total `*`). Any other alarm or budget notifying the topic fails synthesis, naming it and the mapping to add:
   * a signal that reaches the breaker is never silently ignored. A `GenAiBudgets` budget filtered on another
   * Environment than the breaker's own (its Environment tag) is left out, with a warning.
   */
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
    return grantReadStates(this.table, grantee);
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
    this.budgetRules.push({ name: budget.budgetName, features: checkFeatures(where, budget.features), ...(budget.period ? { period: budget.period } : {}), where });
  }

  /**
   * Trips `features` (default `*`) while `alarm` is in ALARM; its OK closes what it opened. An `Alarm` of this app gets
   * the topic as its alarm and OK action; for an imported one, add {@link topic} to its actions yourself.
   */
  tripOnAlarm(alarm: cloudwatch.IAlarm, features?: string[]): void {
    this.addAlarmRule(alarm, features, `${this.node.path}: tripOnAlarm(${alarm.node.path})`);
  }

  private addAlarmRule(alarm: cloudwatch.IAlarm, features: string[] | undefined, where: string): void {
    this.alarmRules.push({ alarm, features: checkFeatures(where, features), where });
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
    this.spendSources.push({ source, where });
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: source.metric,
      threshold: thresholdUsdPerHour,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `GenAI spend of ${feature === BREAKER_ALL_FEATURES ? 'all features' : `feature ${feature}`} above ${thresholdUsdPerHour} USD per hour: trips the circuit breaker ${this.node.path}.`,
    });
    this.addAlarmRule(alarm, [feature], where);
    return alarm;
  }

  // The rules the function is given: the explicit ones, and those derived from the signals its topics receive.
  private wiring(): BreakerWiring {
    this.derived ??= deriveWiring(this, {
      application: this.application ?? GenAiTags.valuesAt(this).application,
      environment: GenAiTags.valuesAt(this).environment,
      budgets: this.budgetRules, alarms: this.alarmRules, topics: [...this.subscribed], spendSources: this.spendSources,
    });
    return this.derived;
  }

  private validateWiring(): string[] {
    const wiring = this.wiring();
    for (const [id, message] of wiring.warnings) Annotations.of(this).addWarningV2(`genai-finops:${id}`, message);
    return wiring.errors;
  }
}

class ImportedCircuitBreaker extends Construct implements ICircuitBreaker {
  public readonly cacheTtl: Duration;

  constructor(scope: Construct, id: string, public readonly table: dynamodb.ITable, options: CircuitBreakerFromTableOptions) {
    super(scope, id);
    checkProps(this, 'CircuitBreakerFromTableOptions', options, { cacheTtl: 'object' } satisfies PropKinds<CircuitBreakerFromTableOptions>);
    this.cacheTtl = validatedCacheTtl(this, options.cacheTtl);
  }

  grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantReadStates(this.table, grantee);
  }
}

// GetItem and BatchGetItem on the table; with a customer managed key, kms:Decrypt on it too, as aws-dynamodb's
// grantReadData gives it (DynamoDB decrypts with the key on the caller's behalf).
function grantReadStates(table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant {
  const grant = table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:GetItem');
  table.encryptionKey?.grantDecrypt(grantee);
  return grant;
}

function validatedCacheTtl(scope: Construct, ttl: Duration | undefined): Duration {
  if (ttl && !ttl.isUnresolved() && ttl.toSeconds() > 3600) {
    throw new Error(`${scope.node.path}: cacheTtl is ${ttl.toSeconds()} seconds; a trip would take that long to reach the workflows. Fix: use at most Duration.hours(1); 30 seconds (the default) keeps reads rare.`);
  }
  return ttl ?? Duration.seconds(DEFAULT_BREAKER_CACHE_TTL_SECONDS);
}

/** The breaker's rules and what is wrong with its wiring. */
interface BreakerWiring {
  readonly budgets: BreakerBudgetRule[];
  readonly alarms: BreakerAlarmRule[];
  readonly errors: string[];
  readonly warnings: Array<[string, string]>;
}

interface WiringInput {
  readonly application?: string;
  readonly environment?: string;
  readonly budgets: ReadonlyArray<BreakerBudgetRule & { readonly where: string }>;
  readonly alarms: ReadonlyArray<{ readonly alarm: cloudwatch.IAlarm; readonly features: string[]; readonly where: string }>;
  readonly topics: sns.ITopic[];
  readonly spendSources: ReadonlyArray<{ readonly source: SpendSource; readonly where: string }>;
}

/**
 * Works out, once the app is built, what the breaker acts on: explicit rules first; then every alarm and budget
 * whose template notifies one of its topics, with the features its construct declared; anything else notifying
 * them is an error. Checks the explicit rules against the app: budget names that no budget has, periods that
 * disagree with the budget's, budgets that do not reach the breaker, features that only critical workflows have.
 */
function deriveWiring(breaker: CircuitBreaker, input: WiringInput): BreakerWiring {
  const path = breaker.node.path;
  const errors: string[] = [];
  const warnings: Array<[string, string]> = [];
  const root = breaker.node.root;
  const found = signalsOnTopics(root, input.topics);
  const namesInApp = budgetNamesIn(root);
  const topicName = (t: sns.ITopic) => (t === breaker.topic ? 'its own topic' : `topic ${t.node.path}`);

  const budgets: BreakerBudgetRule[] = [];
  for (const rule of input.budgets) {
    const { where, ...plain } = rule;
    const budget = namesInApp.get(rule.name);
    if (!budget) {
      if (!Token.isUnresolved(rule.name)) {
        const known = [...namesInApp.keys()];
        warnings.push(['breaker-unknown-budget', `${where}: no budget of this app is named '${rule.name}'${known.length > 0 ? ` (its budgets: ${known.join(', ')})` : ''}. `
          + 'Unless the budget is made outside this app, its notifications never come and nothing trips. Fix: use the budget\'s name as created (GenAiBudgets names them <application>-production, <application>-development, <application>-feature-<feature>), or subscribe the breaker to the GenAiBudgets topic and leave the mapping to it.']);
      }
      budgets.push(plain);
      continue;
    }
    const actual = found.budgets.find((b) => b.budget === budget);
    const period = periodOfBudget(budget);
    if (rule.period && period && rule.period !== period) {
      errors.push(`${where}: period is '${rule.period}' but budget '${rule.name}' (${budget.node.path}) counts per ${period}, so the trip would end at the wrong time. Fix: leave period out (it is taken from the budget) or give '${period}'.`);
    }
    if (!actual) {
      warnings.push(['breaker-budget-not-subscribed', `${where}: budget '${rule.name}' (${budget.node.path}) does not notify any topic the breaker subscribes to, so it never trips it. Fix: breaker.subscribeTo(<the budget's topic>), or add breaker.topic to the budget's SNS subscribers.`]);
    }
    budgets.push({ ...plain, ...(rule.period ?? period ? { period: rule.period ?? period } : {}) });
  }
  for (const { budget, topic, name, period } of found.budgets) {
    if (name !== undefined && input.budgets.some((r) => r.name === name)) continue;
    if (name === undefined) {
      errors.push(`${path}: budget ${budget.node.path} notifies ${topicName(topic)} but has no literal budgetName; AWS would generate one, which the breaker cannot match. Fix: give the budget an explicit budgetName and map it with breaker.tripOnBudget({ budgetName, features }).`);
      continue;
    }
    const declared = declaredBreakerSignal(budget);
    if (!declared) {
      errors.push(`${path}: budget '${name}' (${budget.node.path}) notifies ${topicName(topic)}, which the breaker subscribes to, but no feature is mapped to it: its notifications would be ignored. Fix: breaker.tripOnBudget({ budgetName: '${name}', features: ['<feature>'] }) ('*' for every feature), or stop the budget notifying the topic.`);
      continue;
    }
    const skip = otherScope(declared, input);
    if (skip) {
      warnings.push(['breaker-budget-other-scope', `${path}: budget '${name}' (${budget.node.path}) notifies ${topicName(topic)} but counts ${skip}, so this breaker does not act on it. Fix: give that deployment its own breaker, or map the budget with breaker.tripOnBudget({ budgetName: '${name}', features }) if it should pause these features.`]);
      continue;
    }
    budgets.push({ name, features: declared.features, ...(period ? { period } : {}) });
  }

  const alarms: BreakerAlarmRule[] = input.alarms.map((r) => ({ name: r.alarm.alarmName, features: r.features }));
  for (const { alarm, topic } of found.alarms) {
    if (input.alarms.some((r) => r.alarm === alarm)) continue;
    const declared = declaredBreakerSignal(alarm);
    if (!declared) {
      errors.push(`${path}: alarm ${alarm.node.path} notifies ${topicName(topic)}, which the breaker subscribes to, but no feature is mapped to it: its ALARM would be ignored. Fix: breaker.tripOnAlarm(alarm, ['<feature>']) ('*' for every feature), or remove the topic from the alarm's actions.`);
      continue;
    }
    const skip = otherScope(declared, input);
    if (skip) {
      warnings.push(['breaker-alarm-other-scope', `${path}: alarm ${alarm.node.path} notifies ${topicName(topic)} but watches ${skip}, so this breaker does not act on it. Fix: map it with breaker.tripOnAlarm(alarm, features) if it should pause features of this application.`]);
      continue;
    }
    alarms.push({ name: alarm.alarmName, features: declared.features });
  }

  const critical = criticalOnlyFeatures(breaker);
  const explicit = [...input.budgets.map((r) => ({ where: r.where, features: r.features })), ...input.alarms];
  for (const { where, features } of explicit) {
    for (const feature of features) {
      const workflows = critical.get(feature);
      if (workflows) {
        errors.push(`${where}: feature '${feature}' is critical in ${workflows.join(', ')}, so a trip never pauses or downgrades it. Fix: trip a non-critical feature (or '*', which pauses every non-critical one), or drop critical: true from the workflow.`);
      }
    }
  }
  for (const { source, where } of input.spendSources) {
    for (const message of checkSpendMetricModels(root, source.metric)) warnings.push(['breaker-spend-models', `${where}: ${message}`]);
  }
  return { budgets, alarms, errors, warnings };
}

// Why a declared signal is not this breaker's (another Application or Environment), or undefined when it is.
function otherScope(declared: { application?: string; environment?: string }, input: WiringInput): string | undefined {
  const known = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);
  if (known(declared.application) && known(input.application) && declared.application !== input.application) {
    return `spend of Application '${declared.application}' while the breaker governs '${input.application}'`;
  }
  if (known(declared.environment) && known(input.environment) && declared.environment !== input.environment) {
    return `spend tagged Environment=${declared.environment} while the breaker (and the workflows it governs) are tagged Environment=${input.environment}`;
  }
  return undefined;
}

// The workflows obeying each breaker, and how each behaves when it trips (recorded by breakerGuardConfig).
const GOVERNED = new WeakMap<ICircuitBreaker, Array<{ readonly scope: IConstruct; readonly critical: boolean; readonly behaviour: BreakerFeatureConfig }>>();

// What a trip does to each feature of the workflows obeying the breaker (`*`: to each of them), for its alerts.
function tripEffects(breaker: CircuitBreaker): Record<string, string> {
  const byFeature = new Map<string, Set<string>>();
  for (const { scope, behaviour } of GOVERNED.get(breaker) ?? []) {
    const feature = GenAiTags.valuesAt(scope).feature;
    if (feature === undefined || Token.isUnresolved(feature)) continue;
    byFeature.set(feature, (byFeature.get(feature) ?? new Set()).add(breakerTripEffect(behaviour)));
  }
  const effects: Record<string, string> = {};
  for (const [feature, phrases] of [...byFeature].sort(([a], [b]) => a.localeCompare(b))) effects[feature] = [...phrases].join(' or ');
  const all = Object.entries(effects).map(([feature, effect]) => `${feature} ${effect}`);
  if (all.length > 0) effects[BREAKER_ALL_FEATURES] = all.join('; ');
  return effects;
}

function optionalEffects(effects: Record<string, string>): { effects?: Record<string, string> } {
  return Object.keys(effects).length > 0 ? { effects } : {};
}

// Features every workflow of which (among those obeying the breaker) is critical: a trip never changes them.
function criticalOnlyFeatures(breaker: CircuitBreaker): Map<string, string[]> {
  const byFeature = new Map<string, Array<{ path: string; critical: boolean }>>();
  for (const { scope, critical } of GOVERNED.get(breaker) ?? []) {
    const feature = GenAiTags.valuesAt(scope).feature;
    if (feature === undefined || Token.isUnresolved(feature)) continue;
    byFeature.set(feature, [...(byFeature.get(feature) ?? []), { path: scope.node.path, critical }]);
  }
  const result = new Map<string, string[]>();
  for (const [feature, workflows] of byFeature) {
    if (workflows.every((w) => w.critical)) result.set(feature, workflows.map((w) => w.path));
  }
  return result;
}

/** What a workflow's props say about the breaker it obeys. */
export interface BreakerBehaviourProps {
  readonly critical?: boolean;
  readonly whenTripped?: WhenTripped;
  readonly downgradeTo?: ModelTier;
  readonly throttleTo?: number;
}

/** The `guards.breaker` section a workflow writes, from its props. */
export function breakerGuardConfig(scope: IConstruct, breaker: ICircuitBreaker, props: BreakerBehaviourProps): BreakerConfig {
  const { critical, whenTripped, downgradeTo, throttleTo } = props;
  const mode = whenTripped === undefined ? 'not set (pause)' : `'${whenTripped}'`;
  if (downgradeTo !== undefined && whenTripped !== WhenTripped.DOWNGRADE) {
    throw new Error(`${scope.node.path}: downgradeTo is '${downgradeTo}' but whenTripped is ${mode}. Fix: set whenTripped: WhenTripped.DOWNGRADE, or leave downgradeTo out.`);
  }
  if (throttleTo !== undefined && whenTripped !== WhenTripped.THROTTLE) {
    throw new Error(`${scope.node.path}: throttleTo is ${throttleTo} but whenTripped is ${mode}. Fix: set whenTripped: WhenTripped.THROTTLE, or leave throttleTo out.`);
  }
  if (throttleTo !== undefined && !Token.isUnresolved(throttleTo) && !(Number.isFinite(throttleTo) && throttleTo > 0 && throttleTo < 1)) {
    throw new Error(`${scope.node.path}: throttleTo is ${throttleTo}. Fix: give the share of requests admitted while the breaker is tripped, between 0 and 1 exclusive (e.g. 0.25, the default); for none use WhenTripped.PAUSE, for all leave the breaker out.`);
  }
  if (critical && throttleTo !== undefined) {
    throw new Error(`${scope.node.path}: critical is true and throttleTo is ${throttleTo}, but a critical feature is never throttled (it keeps running when the breaker trips). Fix: drop critical: true to throttle it, or leave whenTripped and throttleTo out.`);
  }
  if (critical && whenTripped !== undefined) {
    Annotations.of(scope).addWarningV2('genai-finops:breaker-critical-when-tripped',
      `${scope.node.path}: critical is true, so whenTripped '${whenTripped}' never applies (critical features keep running when the breaker trips). Remove one of them.`);
  }
  const feature: BreakerFeatureConfig = {
    critical: critical ?? false,
    whenTripped: whenTripped ?? WhenTripped.PAUSE,
    ...(downgradeTo !== undefined ? { downgradeTo } : {}),
    ...(whenTripped === WhenTripped.THROTTLE ? { throttleTo: throttleTo ?? DEFAULT_BREAKER_THROTTLE_SHARE } : {}),
  };
  GOVERNED.set(breaker, [...(GOVERNED.get(breaker) ?? []), { scope, critical: critical ?? false, behaviour: feature }]);
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
  const retention = props.auditRetention;
  if (retention && !retention.isUnresolved() && retention.toDays() < 1) {
    throw new Error(`${scope.node.path}: auditRetention is ${retention.toHumanString()}. Fix: keep audit items at least Duration.days(1); the default is ${DEFAULT_BREAKER_AUDIT_RETENTION_DAYS} days.`);
  }
}

// The known keys of CircuitBreakerProps and what each holds (lib/private/prop-check.ts).
const CIRCUIT_BREAKER_PROP_KINDS = {
  application: 'string',
  budgets: { items: { fields: { budgetName: 'string', features: 'string[]', period: oneOf(BreakerPeriod, 'BreakerPeriod') } satisfies PropKinds<BudgetTrigger> } },
  cacheTtl: 'object',
  alarmPeriod: oneOf(BreakerPeriod, 'BreakerPeriod'),
  auditRetention: 'object',
  removalPolicy: 'string',
  logRetention: 'number',
} as const satisfies PropKinds<CircuitBreakerProps>;
