import { Stack, Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import type { BreakerPeriodUnit } from '../../shared/contract';

/**
 * What the construct that made a signal (a budget, an alarm) knows about it, so that a circuit breaker subscribed to
 * the signal's topic can act on it without being told twice: the features it concerns, the Application and
 * Environment its spend is counted in, and the budget's period.
 */
export interface DeclaredBreakerSignal {
  /** Features it trips (`*`: every feature of the application). */
  readonly features: string[];
  /** The Application the counted spend belongs to, when known. */
  readonly application?: string;
  /** The Environment tag value the counted spend is filtered on, when it is filtered on one. */
  readonly environment?: string;
}

// Kept beside the constructs, not on them: the declaration is no part of their public (jsii) surface.
const DECLARED = new WeakMap<IConstruct, DeclaredBreakerSignal>();

/** Records what `signal` (a `CfnBudget` or a CloudWatch `Alarm`) trips, for any breaker subscribed to its topic. */
export function declareBreakerSignal(signal: IConstruct, declared: DeclaredBreakerSignal): void {
  DECLARED.set(signal, declared);
}

/** What the signal's maker declared, if anything. */
export function declaredBreakerSignal(signal: IConstruct): DeclaredBreakerSignal | undefined {
  return DECLARED.get(signal);
}

/** A CloudWatch alarm of the app whose ALARM or OK action is one of the topics. */
export interface AlarmOnTopic {
  readonly alarm: cloudwatch.Alarm;
  readonly topic: sns.ITopic;
}

/** An AWS Budgets budget of the app with an SNS subscriber that is one of the topics. */
export interface BudgetOnTopic {
  readonly budget: budgets.CfnBudget;
  readonly topic: sns.ITopic;
  /** The budget's name; undefined when it has none (AWS then generates one the breaker cannot know). */
  readonly name?: string;
  /** The budget's period, from its `TimeUnit`. */
  readonly period?: BreakerPeriodUnit;
}

const PERIOD_OF_TIME_UNIT: Readonly<Record<string, BreakerPeriodUnit>> = { DAILY: 'day', MONTHLY: 'month', QUARTERLY: 'quarter', ANNUALLY: 'year' };

/** The period a budget's `TimeUnit` counts over (the period its trip lasts), if it is a literal. */
export function periodOfBudget(budget: budgets.CfnBudget): BreakerPeriodUnit | undefined {
  const unit = (budget.budget as budgets.CfnBudget.BudgetDataProperty).timeUnit;
  return typeof unit === 'string' && !Token.isUnresolved(unit) ? PERIOD_OF_TIME_UNIT[unit] : undefined;
}

/** The literal name of a budget, if it has one. */
export function nameOfBudget(budget: budgets.CfnBudget): string | undefined {
  const name = (budget.budget as budgets.CfnBudget.BudgetDataProperty).budgetName;
  return typeof name === 'string' && !Token.isUnresolved(name) ? name : undefined;
}

/**
 * Every alarm and budget in the app that notifies one of `topics`, found in the synthesized wiring (the alarm's
 * actions, the budget's SNS subscribers) rather than in what anyone said about it: a signal reaches the breaker
 * exactly when its template says so.
 */
export function signalsOnTopics(root: IConstruct, topics: ReadonlyArray<sns.ITopic>): { alarms: AlarmOnTopic[]; budgets: BudgetOnTopic[] } {
  const alarms: AlarmOnTopic[] = [];
  const found: BudgetOnTopic[] = [];
  if (topics.length === 0) return { alarms, budgets: found };
  // A topic of another environment (account or Region) cannot be an alarm's or a budget's action, and resolving its
  // ARN there throws (cross-environment reference): only topics of the signal's environment are compared.
  const topicsOf = (stack: Stack) => topics.filter((t) => Stack.of(t).environment === stack.environment);
  for (const construct of root.node.findAll()) {
    if (construct instanceof cloudwatch.Alarm) {
      const cfn = construct.node.defaultChild as cloudwatch.CfnAlarm;
      const stack = Stack.of(construct);
      const actions = [...asList(stack.resolve(cfn.alarmActions)), ...asList(stack.resolve(cfn.okActions))].map((a) => JSON.stringify(a));
      const topic = topicsOf(stack).find((t) => actions.includes(JSON.stringify(stack.resolve(t.topicArn))));
      if (topic) alarms.push({ alarm: construct, topic });
    } else if (construct instanceof budgets.CfnBudget) {
      const stack = Stack.of(construct);
      const subscribers = asList(stack.resolve(construct.notificationsWithSubscribers))
        .flatMap((n: any) => asList(n?.subscribers ?? n?.Subscribers))
        .filter((s: any) => (s?.subscriptionType ?? s?.SubscriptionType) === 'SNS')
        .map((s: any) => JSON.stringify(s?.address ?? s?.Address));
      const topic = topicsOf(stack).find((t) => subscribers.includes(JSON.stringify(stack.resolve(t.topicArn))));
      if (topic) found.push({ budget: construct, topic, name: nameOfBudget(construct), period: periodOfBudget(construct) });
    }
  }
  return { alarms, budgets: found };
}

/** Every literal budget name in the app, for "did you mean" advice. */
export function budgetNamesIn(root: IConstruct): Map<string, budgets.CfnBudget> {
  const names = new Map<string, budgets.CfnBudget>();
  for (const construct of root.node.findAll()) {
    if (construct instanceof budgets.CfnBudget) {
      const name = nameOfBudget(construct);
      if (name !== undefined) names.set(name, construct);
    }
  }
  return names;
}

function asList(value: unknown): any[] {
  return Array.isArray(value) ? value : [];
}
