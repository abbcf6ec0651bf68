import { Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GenAiTagKey } from '../tagging/genai-tag-keys';
import { BedrockDenyBudgetAction, BudgetActionApproval, checkPercent } from './budget-action';
import { BUDGET_ALERT_TOPIC_PROP_KINDS, BudgetAlertTopic, BudgetAlertTopicProps } from './budget-alert-topic';
import { declareBreakerSignal } from './breaker-signals';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';

/** What a budget threshold compares with the budget amount. */
export enum BudgetNotificationType {
  /** The spend so far this period. */
  ACTUAL = 'ACTUAL',
  /** The spend Budgets forecasts for the whole period. */
  FORECASTED = 'FORECASTED',
}

/** How long a budget counts before it resets. */
export enum BudgetPeriod {
  MONTHLY = 'MONTHLY',
  QUARTERLY = 'QUARTERLY',
  ANNUALLY = 'ANNUALLY',
}

/** A notification threshold: notify when the (actual or forecasted) spend passes this percent of the amount. */
export interface BudgetThreshold {
  /** Percent of the budget amount, over 0 and at most 1000, e.g. 80. */
  readonly percent: number;
  /** @default BudgetNotificationType.ACTUAL */
  readonly notificationType?: BudgetNotificationType;
}

/** A per-feature budget: the production spend of the application's resources tagged with one Feature. */
export interface GenAiFeatureBudget {
  /** The Feature tag value, e.g. `chatbot`. */
  readonly feature: string;
  /** The amount per period, in US dollars. */
  readonly amountUsd: number;
  /**
   * The budget's name; the circuit breaker maps budget names to features.
   * @default `${budgetNamePrefix}-feature-${feature}`
   */
  readonly budgetName?: string;
  /** @default - the production thresholds */
  readonly thresholds?: BudgetThreshold[];
}

/**
 * Properties of {@link GenAiBudgets}. The e-mail, Slack and Microsoft Teams options are those of the
 * {@link BudgetAlertTopic} it creates; each budget also notifies the e-mail addresses directly (at most 10).
 */
export interface GenAiBudgetsProps extends BudgetAlertTopicProps {
  /** The Application tag value every budget filters on, e.g. `customer-support`. */
  readonly application: string;
  /**
   * Prefix of the budget names (`<prefix>-production`, `<prefix>-development`, `<prefix>-feature-<feature>`).
   * @default - the application
   */
  readonly budgetNamePrefix?: string;
  /**
   * The production total per period, in US dollars.
   * @default - no production budget
   */
  readonly productionAmountUsd?: number;
  /**
   * The Environment tag value of production spend.
   * @default 'production'
   */
  readonly productionEnvironment?: string;
  /**
   * Thresholds of the production and feature budgets.
   * @default - actual 80 %, actual 100 %, forecasted 100 %
   */
  readonly productionThresholds?: BudgetThreshold[];
  /**
   * The development total per period, in US dollars.
   * @default - no development budget
   */
  readonly developmentAmountUsd?: number;
  /**
   * The Environment tag value of development spend.
   * @default 'development'
   */
  readonly developmentEnvironment?: string;
  /**
   * Thresholds of the development budget.
   * @default - actual 50 %, actual 80 %, actual 100 %
   */
  readonly developmentThresholds?: BudgetThreshold[];
  /**
   * Per-feature budgets within production.
   * @default - none
   */
  readonly features?: GenAiFeatureBudget[];
  /**
   * How long each budget counts before it resets.
   * @default BudgetPeriod.MONTHLY
   */
  readonly period?: BudgetPeriod;
  /**
   * Roles of the non-critical workflows: when the production total's actual spend crosses
   * `denyBedrockThresholdPercent`, a Budgets action denies them Bedrock model invocation.
   * @default - no Budgets action
   */
  readonly nonCriticalRoles?: iam.IRole[];
  /**
   * Percent of the production total at which the Budgets action denies Bedrock to `nonCriticalRoles`.
   * @default 100
   */
  readonly denyBedrockThresholdPercent?: number;
  /**
   * Whether the Budgets action runs at once or waits for approval.
   * @default BudgetActionApproval.AUTOMATIC
   */
  readonly denyBedrockApproval?: BudgetActionApproval;
}

/** The production thresholds, also the default of the feature and workflow-role budgets. */
export const DEFAULT_PRODUCTION_THRESHOLDS: BudgetThreshold[] = [
  { percent: 80 }, { percent: 100 }, { percent: 100, notificationType: BudgetNotificationType.FORECASTED },
];
const DEFAULT_DEVELOPMENT_THRESHOLDS: BudgetThreshold[] = [{ percent: 50 }, { percent: 80 }, { percent: 100 }];

// Budgets: 1 to 100 characters, no ':' or '\', and not the '/action/' substring.
const MAX_BUDGET_NAME = 100;
// Budgets accepts up to 10 notifications per budget and 10 email subscribers per notification.
const MAX_NOTIFICATIONS = 10;
const MAX_EMAILS = 10;

/**
 * AWS Budgets for GenAI spend, scoped by the cost allocation tags the library puts on every resource:
 * a production total (Application + Environment=production), a development total (Application +
 * Environment=development) and per-feature budgets (Application + Environment=production + Feature).
 *
 * Budgets filter by tags, not by service: Anthropic and other Marketplace models are billed under their own
 * service names (e.g. "Claude 3.5 Sonnet (Amazon Bedrock Edition)"), so an "Amazon Bedrock" service filter
 * misses most of the bill. The tags must be activated as cost allocation tags in the Billing console.
 *
 * Every budget has an explicit name and notifies {@link topic} (KMS encrypted) at each threshold, plus the
 * email subscribers directly. With `nonCriticalRoles`, a Budgets action denies those roles Bedrock invoke when
 * the production total is overrun: the backstop behind the circuit breaker, which subscribes to `topic`.
 *
 * A circuit breaker subscribed to `topic` acts on these budgets without a mapping: a total trips every feature
 * (`*`), a feature budget its feature, each for the budget's period; budgets of another Environment than the
 * breaker's are left out with a warning.
 */
export class GenAiBudgets extends Construct {
  /** The topic every budget notifies; subscribe the circuit breaker here. */
  public readonly topic: sns.ITopic;
  /** The key encrypting the topic. */
  public readonly encryptionKey: kms.IKey;
  /** The production total, when `productionAmountUsd` is set. */
  public readonly productionBudget?: budgets.CfnBudget;
  /** The development total, when `developmentAmountUsd` is set. */
  public readonly developmentBudget?: budgets.CfnBudget;
  /** The per-feature budgets, in the order given. */
  public readonly featureBudgets: budgets.CfnBudget[];
  /** The names of all budgets, in creation order. */
  public readonly budgetNames: string[];
  /** Each feature budget's name mapped to the Feature tag value it counts (the circuit breaker's lookup). */
  public readonly featureOfBudget: Record<string, string>;
  /** The Budgets action denying Bedrock to the non-critical roles, when `nonCriticalRoles` is set. */
  public readonly denyBedrockAction?: BedrockDenyBudgetAction;
  /** The Slack channel configuration, when Slack delivery is configured. */
  public readonly slackChannel?: chatbot.SlackChannelConfiguration;

  private readonly alertTopic: BudgetAlertTopic;
  private readonly emailSubscribers: string[];
  private readonly period: BudgetPeriod;
  private readonly application: string;

  constructor(scope: Construct, id: string, props: GenAiBudgetsProps) {
    super(scope, id);
    checkProps(this, 'GenAiBudgetsProps', props, GEN_AI_BUDGETS_PROP_KINDS);
    validateBudgetsProps(this, props);
    this.application = props.application;
    this.period = props.period ?? BudgetPeriod.MONTHLY;
    this.emailSubscribers = props.emailSubscribers ?? [];
    const prefix = props.budgetNamePrefix ?? props.application;
    const production = props.productionEnvironment ?? 'production';
    const productionThresholds = props.productionThresholds ?? DEFAULT_PRODUCTION_THRESHOLDS;

    this.alertTopic = new BudgetAlertTopic(this, 'Alerts', {
      emailSubscribers: props.emailSubscribers,
      slackWorkspaceId: props.slackWorkspaceId,
      slackChannelId: props.slackChannelId,
      teamsTenantId: props.teamsTenantId,
      teamsTeamId: props.teamsTeamId,
      teamsChannelId: props.teamsChannelId,
    });
    this.topic = this.alertTopic.topic;
    this.encryptionKey = this.alertTopic.encryptionKey;
    this.slackChannel = this.alertTopic.slackChannel;
    this.budgetNames = [];
    this.featureOfBudget = {};

    if (props.productionAmountUsd !== undefined) {
      this.productionBudget = this.addBudget('Production', `${prefix}-production`, props.productionAmountUsd,
        { [GenAiTagKey.ENVIRONMENT]: production }, productionThresholds, undefined);
    }
    if (props.developmentAmountUsd !== undefined) {
      this.developmentBudget = this.addBudget('Development', `${prefix}-development`, props.developmentAmountUsd,
        { [GenAiTagKey.ENVIRONMENT]: props.developmentEnvironment ?? 'development' },
        props.developmentThresholds ?? DEFAULT_DEVELOPMENT_THRESHOLDS, undefined);
    }
    this.featureBudgets = (props.features ?? []).map((f) => this.addBudget(
      `Feature${f.feature.replace(/[^A-Za-z0-9]/g, '')}`, f.budgetName ?? `${prefix}-feature-${f.feature}`, f.amountUsd,
      { [GenAiTagKey.ENVIRONMENT]: production, [GenAiTagKey.FEATURE]: f.feature },
      f.thresholds ?? productionThresholds, f.feature));
    this.checkUniqueNames();

    if (props.nonCriticalRoles) {
      if (!this.productionBudget) {
        throw new Error(`${this.node.path}: nonCriticalRoles is set but there is no production budget for the action to watch. Fix: set productionAmountUsd, or use BedrockDenyBudgetAction on the budget you mean.`);
      }
      this.denyBedrockAction = new BedrockDenyBudgetAction(this, 'DenyBedrock', {
        budget: this.productionBudget,
        roles: props.nonCriticalRoles,
        thresholdPercent: props.denyBedrockThresholdPercent,
        approval: props.denyBedrockApproval,
        topic: this.topic,
        emailSubscribers: props.emailSubscribers,
      });
    }
  }

  private addBudget(id: string, budgetName: string, amountUsd: number, tags: Record<string, string>,
    thresholds: BudgetThreshold[], feature: string | undefined): budgets.CfnBudget {
    checkBudget(this.node.path, budgetName, amountUsd, thresholds);
    const filters = [{ [GenAiTagKey.APPLICATION]: this.application }, ...Object.entries(tags).map(([k, v]) => ({ [k]: v }))]
      .map((entry) => { const [key, value] = Object.entries(entry)[0]; return { tags: { key, values: [value], matchOptions: ['EQUALS'] } }; });
    const budget = newCostBudget(this, id, {
      budgetName,
      period: this.period,
      amountUsd,
      // Tag keys are the cost allocation tag keys.
      filterExpression: filters.length === 1 ? filters[0] : { and: filters },
      thresholds,
      topicArn: this.topic.topicArn,
      emails: this.emailSubscribers,
    });
    // Budgets must be allowed to publish before it validates the subscription.
    budget.node.addDependency(this.alertTopic);
    this.budgetNames.push(budgetName);
    if (feature !== undefined) this.featureOfBudget[budgetName] = feature;
    // A circuit breaker subscribed to the topic trips what the budget counts: its feature, or every feature.
    declareBreakerSignal(budget, { features: [feature ?? '*'], application: this.application, environment: tags[GenAiTagKey.ENVIRONMENT] });
    return budget;
  }

  private checkUniqueNames(): void {
    const all = this.budgetNames;
    const duplicate = all.find((name, i) => !Token.isUnresolved(name) && all.indexOf(name) !== i);
    if (duplicate) {
      throw new Error(`${this.node.path}: two budgets are named ${JSON.stringify(duplicate)}; budget names are unique in an account. Fix: give each feature budget its own budgetName or feature.`);
    }
  }
}

function validateBudgetsProps(scope: Construct, props: GenAiBudgetsProps): void {
  const where = scope.node.path;
  if (!Token.isUnresolved(props.application) && props.application.trim() === '') {
    throw new Error(`${where}: application is empty. Fix: use the Application tag value of the workloads, e.g. 'customer-support'.`);
  }
  if (props.budgetNamePrefix !== undefined && !Token.isUnresolved(props.budgetNamePrefix) && props.budgetNamePrefix.trim() === '') {
    throw new Error(`${where}: budgetNamePrefix is empty. Fix: use a prefix such as 'customer-support', or leave it out for the application.`);
  }
  if (props.productionAmountUsd === undefined && props.developmentAmountUsd === undefined && (props.features ?? []).length === 0) {
    throw new Error(`${where}: no budget is configured. Fix: set productionAmountUsd, developmentAmountUsd or features.`);
  }
  checkEmailSubscribers(where, props.emailSubscribers ?? []);
  (props.features ?? []).forEach((f, i) => {
    if (!Token.isUnresolved(f.feature) && !/^[A-Za-z0-9][A-Za-z0-9_.:/=+\-@]*$/.test(f.feature)) {
      throw new Error(`${where}: features[${i}].feature is ${JSON.stringify(f.feature)}. Fix: use the Feature tag value of the workflow, e.g. 'chatbot'.`);
    }
  });
  checkPercent(where, 'denyBedrockThresholdPercent', props.denyBedrockThresholdPercent);
}

/** What {@link newCostBudget} makes. */
export interface CostBudgetSpec {
  readonly budgetName: string;
  readonly period: BudgetPeriod;
  readonly amountUsd: number;
  /** Which costs the budget counts. */
  readonly filterExpression: budgets.CfnBudget.ExpressionProperty;
  readonly thresholds: ReadonlyArray<BudgetThreshold>;
  /** The topic notified at each threshold. */
  readonly topicArn: string;
  /** The addresses notified directly at each threshold. */
  readonly emails: ReadonlyArray<string>;
}

/**
 * A budget on the unblended cost that `filterExpression` selects, notifying the topic and the e-mail subscribers at
 * each threshold: the one shape of every budget this library makes.
 */
export function newCostBudget(scope: Construct, id: string, spec: CostBudgetSpec): budgets.CfnBudget {
  return new budgets.CfnBudget(scope, id, {
    budget: {
      budgetName: spec.budgetName,
      budgetType: 'COST',
      timeUnit: spec.period,
      budgetLimit: { amount: spec.amountUsd, unit: 'USD' },
      // FilterExpression (with Metrics) supersedes CostFilters.
      filterExpression: spec.filterExpression,
      metrics: ['UnblendedCost'],
    },
    notificationsWithSubscribers: budgetNotifications(spec.thresholds, spec.topicArn, spec.emails),
  });
}

/** A budget's notifications: one per threshold, each to the topic and the e-mail subscribers. */
function budgetNotifications(thresholds: ReadonlyArray<BudgetThreshold>, topicArn: string, emails: ReadonlyArray<string>): budgets.CfnBudget.NotificationWithSubscribersProperty[] {
  return thresholds.map((t) => ({
    notification: {
      notificationType: t.notificationType ?? BudgetNotificationType.ACTUAL,
      comparisonOperator: 'GREATER_THAN',
      threshold: t.percent,
      thresholdType: 'PERCENTAGE',
    },
    subscribers: [
      { subscriptionType: 'SNS', address: topicArn },
      ...emails.map((address) => ({ subscriptionType: 'EMAIL', address })),
    ],
  }));
}

/**
 * Fails on a budget Budgets refuses (its name, amount or thresholds); the message names the construct path and the
 * budget.
 */
export function checkBudget(path: string, budgetName: string, amountUsd: number, thresholds: ReadonlyArray<BudgetThreshold>): void {
  const where = `${path}: budget ${JSON.stringify(budgetName)}`;
  checkBudgetName(where, budgetName);
  checkAmount(where, amountUsd);
  checkThresholds(where, thresholds);
}

/** Fails on more e-mail subscribers than one Budgets notification takes. */
export function checkEmailSubscribers(where: string, emails: ReadonlyArray<string>): void {
  if (emails.length > MAX_EMAILS) {
    throw new Error(`${where}: emailSubscribers has ${emails.length} addresses; Budgets accepts at most ${MAX_EMAILS} per notification. Fix: subscribe a distribution list, or the others to the topic.`);
  }
}

/** Fails on a budget name Budgets refuses. */
function checkBudgetName(where: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (name.trim() === '' || name.length > MAX_BUDGET_NAME || /[:\\]/.test(name) || name.includes('/action/')) {
    throw new Error(`${where}: the name must be 1 to ${MAX_BUDGET_NAME} characters without ':', '\\' or '/action/'. Fix: choose a name such as 'customer-support-production'.`);
  }
}

/** Fails on an amount that is not a positive number of US dollars. */
function checkAmount(where: string, amountUsd: number): void {
  if (Token.isUnresolved(amountUsd)) return;
  if (!Number.isFinite(amountUsd) || amountUsd <= 0) {
    throw new Error(`${where}: the amount is ${amountUsd} USD. Fix: use a positive number of US dollars per period, e.g. 2000.`);
  }
}

/** Fails on fewer than 1 or more than 10 thresholds, or a bad percent. */
function checkThresholds(where: string, thresholds: ReadonlyArray<BudgetThreshold>): void {
  if (thresholds.length === 0 || thresholds.length > MAX_NOTIFICATIONS) {
    throw new Error(`${where}: it has ${thresholds.length} thresholds; Budgets needs 1 to ${MAX_NOTIFICATIONS}. Fix: give between 1 and ${MAX_NOTIFICATIONS} thresholds, or leave them out for the defaults.`);
  }
  thresholds.forEach((t, i) => checkPercent(where, `thresholds[${i}].percent`, t.percent));
}

export const BUDGET_THRESHOLD_KINDS = { percent: 'number', notificationType: oneOf(BudgetNotificationType, 'BudgetNotificationType') } as const satisfies PropKinds<BudgetThreshold>;

// The known keys of GenAiBudgetsProps and what each holds (lib/private/prop-check.ts).
const GEN_AI_BUDGETS_PROP_KINDS = {
  application: 'string',
  budgetNamePrefix: 'string',
  productionAmountUsd: 'number',
  productionEnvironment: 'string',
  productionThresholds: { items: { fields: BUDGET_THRESHOLD_KINDS } },
  developmentAmountUsd: 'number',
  developmentEnvironment: 'string',
  developmentThresholds: { items: { fields: BUDGET_THRESHOLD_KINDS } },
  features: { items: { fields: { feature: 'string', amountUsd: 'number', budgetName: 'string', thresholds: { items: { fields: BUDGET_THRESHOLD_KINDS } } } satisfies PropKinds<GenAiFeatureBudget> } },
  period: oneOf(BudgetPeriod, 'BudgetPeriod'),
  ...BUDGET_ALERT_TOPIC_PROP_KINDS,
  nonCriticalRoles: { items: 'object' },
  denyBedrockThresholdPercent: 'number',
  denyBedrockApproval: oneOf(BudgetActionApproval, 'BudgetActionApproval'),
} as const satisfies PropKinds<GenAiBudgetsProps>;
