import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  ApiWorkflow, BudgetPeriod, CircuitBreaker, DocumentWorkflow, GenAiAlarms, GenAiBudgets, GenAiTags, MonitoredWorkflows,
} from '../../../lib';
import { readBreakerHandlerConfig } from '../../../lambda/breaker/config';
import { decide } from '../../../lambda/breaker/decide';
import { parseBreakerEvent } from '../../../lambda/breaker/notifications';
import { effectiveState } from '../../../lambda/breaker/state';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { useDynamoDbLocal } from '../../support/dynamodb-local';
import { resolveIntrinsics } from '../../support/intrinsics';
import { createTestStack } from '../../support/test-app';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

/** The breaker function's configuration as the deployed function reads it. */
function breakerConfigOf(stack: Stack) {
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('circuit breaker') } })) as any[];
  return readBreakerHandlerConfig(resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>);
}

function warningsOf(stack: Stack, id: string): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`genai-finops:${id}`)).map((w) => String(w.entry.data));
}

/** A stack of Application test-app whose resources are tagged Environment=production. */
function productionStack(): Stack {
  const stack = createTestStack();
  GenAiTags.apply(stack, { environment: 'production' });
  return stack;
}

describe('a breaker subscribed to a topic acts on every signal its template sends there', () => {
  test('subscribeTo(alarms.spendTopic) maps each workflow\'s spend alarms to its feature and the total to *', () => {
    // Given two workflows, their alarms and a breaker subscribed to the spend topic
    const stack = productionStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker });
    const docs = new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'ticket-attachments' }, circuitBreaker: breaker });
    const alarms = new GenAiAlarms(stack, 'Alarms', { workflows: [chat.monitored(), docs.monitored()], hourlySpendThresholdUsd: 20 });

    // When the breaker subscribes to the spend topic
    breaker.subscribeTo(alarms.spendTopic);

    // Then its function is told what each spend alarm trips (hourly and anomaly per workflow, the total for all)
    const config = breakerConfigOf(stack);
    const features = config.alarms.map((a) => a.features.join(',')).sort();
    expect(features).toEqual(['*', 'support-chat', 'support-chat', 'ticket-attachments', 'ticket-attachments']);
    expect(config.alarms.map((a) => a.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^ref:AlarmsTotalHourlySpend/)]));
  });

  test('fails when an alarm notifying a subscribed topic is mapped to no feature, naming the alarm and the fix', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const alarm = new cloudwatch.Alarm(stack, 'CpuHigh', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName: 'CPUUtilization' }), threshold: 90, evaluationPeriods: 1,
    });
    alarm.addAlarmAction(new actions.SnsAction(breaker.topic));

    expect(() => Template.fromStack(stack)).toThrow(/TestStack\/Breaker: alarm TestStack\/CpuHigh notifies its own topic, which the breaker subscribes to, but no feature is mapped to it: its ALARM would be ignored\. Fix: breaker\.tripOnAlarm\(alarm, \['<feature>'\]\)/);
  });

  test('fails when a budget notifying the breaker is mapped to no feature', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    new budgets.CfnBudget(stack, 'Marketing', {
      budget: { budgetName: 'marketing', budgetType: 'COST', timeUnit: 'MONTHLY', budgetLimit: { amount: 10, unit: 'USD' } },
      notificationsWithSubscribers: [{ notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold: 80 }, subscribers: [{ subscriptionType: 'SNS', address: breaker.topic.topicArn }] }],
    });

    expect(() => Template.fromStack(stack)).toThrow(/budget 'marketing' \(TestStack\/Marketing\) notifies its own topic, which the breaker subscribes to, but no feature is mapped to it.*Fix: breaker\.tripOnBudget\(\{ budgetName: 'marketing'/);
  });

  test('a GenAiBudgets topic brings its budgets of the breaker\'s Environment, each for its period, and warns about the others', () => {
    // Given quarterly budgets: a production total, a development total and a feature budget, in a production stack
    const stack = productionStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const b = new GenAiBudgets(stack, 'Budgets', {
      application: 'test-app', period: BudgetPeriod.QUARTERLY,
      productionAmountUsd: 900, developmentAmountUsd: 90, features: [{ feature: 'support-chat', amountUsd: 300 }],
    });

    breaker.subscribeTo(b.topic);

    expect(breakerConfigOf(stack).budgets).toEqual([
      { name: 'test-app-production', features: ['*'], period: 'quarter' },
      { name: 'test-app-feature-support-chat', features: ['support-chat'], period: 'quarter' },
    ]);
    expect(warningsOf(stack, 'breaker-budget-other-scope')).toEqual([expect.stringMatching(
      /budget 'test-app-development' \(TestStack\/Budgets\/Development\) notifies topic TestStack\/Budgets\/Alerts\/Resource but counts spend tagged Environment=development while the breaker \(and the workflows it governs\) are tagged Environment=production/)]);
  });

  test('an explicit budget without a period takes its budget\'s TimeUnit; a conflicting period fails', () => {
    const stack = productionStack();
    const breaker = new CircuitBreaker(stack, 'Breaker', { budgets: [{ budgetName: 'test-app-production', features: ['*'] }] });
    breaker.subscribeTo(new GenAiBudgets(stack, 'Budgets', { application: 'test-app', period: BudgetPeriod.ANNUALLY, productionAmountUsd: 900 }).topic);
    expect(breakerConfigOf(stack).budgets).toEqual([{ name: 'test-app-production', features: ['*'], period: 'year' }]);

    const other = productionStack();
    const monthly = new CircuitBreaker(other, 'Breaker', { budgets: [{ budgetName: 'test-app-production', period: 'month' as any }] });
    monthly.subscribeTo(new GenAiBudgets(other, 'Budgets', { application: 'test-app', period: BudgetPeriod.QUARTERLY, productionAmountUsd: 900 }).topic);
    expect(() => Template.fromStack(other)).toThrow(/tripOnBudget: period is 'month' but budget 'test-app-production' \(TestStack\/Budgets\/Production\) counts per quarter.*Fix: leave period out/);
  });
});

describe('guardrail mistakes the README snippets made are reported at synthesis', () => {
  test('warns when a breaker listens for a budget name no budget of the app has, listing the names it has', () => {
    const stack = productionStack();
    const breaker = new CircuitBreaker(stack, 'Breaker', { budgets: [{ budgetName: 'genai-monthly-total' }] });
    breaker.subscribeTo(new GenAiBudgets(stack, 'Budgets', { application: 'test-app', productionAmountUsd: 900 }).topic);

    expect(warningsOf(stack, 'breaker-unknown-budget')).toEqual([expect.stringMatching(
      /TestStack\/Breaker: tripOnBudget: no budget of this app is named 'genai-monthly-total' \(its budgets: test-app-production\)\..*Fix: use the budget's name as created/)]);
  });

  test('fails when tripOnSpend targets a feature whose workflow is critical', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker, critical: true });
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric(chat.monitored()), feature: 'support-chat' }, 25);

    expect(() => Template.fromStack(stack)).toThrow(/tripOnSpend\(support-chat\): feature 'support-chat' is critical in TestStack\/Chat, so a trip never pauses or downgrades it\. Fix: trip a non-critical feature/);
  });

  test('warns when a hand-typed model list of a spend metric or of the alarms misses a model the workflow routes to', () => {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker');
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker });
    const typed = { application: 'test-app', feature: 'support-chat', models: [HAIKU, SONNET, 'none'] };
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric(typed), feature: 'support-chat' }, 25);
    new GenAiAlarms(stack, 'Alarms', { workflows: [MonitoredWorkflows.of(typed)], hourlySpendThresholdUsd: 5 });

    expect(warningsOf(stack, 'breaker-spend-models')).toEqual([expect.stringMatching(/also spends on anthropic\.claude-opus-4-5-20251101-v1:0: that spend is not counted\. Fix: take the models from the workflow/)]);
    expect(warningsOf(stack, 'alarm-missing-models')).toEqual([expect.stringMatching(/TestStack\/Alarms: the alarms of test-app\/support-chat adds up models .* but workflow TestStack\/Chat also spends on anthropic\.claude-opus-4-5/)]);
  });
});

describe('a quarterly budget, end to end from the synthesized configuration (DynamoDB Local)', () => {
  const dynamodb = useDynamoDbLocal();

  test('its trip lasts to the end of the quarter, not of the month', async () => {
    // Given the breaker configuration synthesized for a quarterly GenAiBudgets topic
    const stack = productionStack();
    const breaker = new CircuitBreaker(stack, 'Breaker', { cacheTtl: Duration.seconds(5) });
    breaker.subscribeTo(new GenAiBudgets(stack, 'Budgets', { application: 'test-app', period: BudgetPeriod.QUARTERLY, productionAmountUsd: 900 }).topic);
    const config = { ...breakerConfigOf(stack), tableName: 'breaker-quarterly' };
    await createBreakerTable(dynamodb.client, config.tableName);
    const store = new DynamoDbBreakerStore(dynamodb.client, config.tableName, { now: () => Date.UTC(2026, 10, 27) });
    const notification = 'AWS Budget Notification November 27, 2026\nAWS Account 111122223333\n\nBudget Name: test-app-production\nBudget Type: Cost\n'
      + 'Budgeted Amount: $900.00\nAlert Type: ACTUAL\nAlert Threshold: > $720.00\nACTUAL Amount: $731.10\n';

    // When its notification arrives in November
    await decide(parseBreakerEvent({ Records: [{ Sns: { MessageId: 'q4', Timestamp: '2026-11-27T10:00:00.000Z', Message: notification } }] }), config, { store });

    // Then the global breaker is open through December and closes with the quarter
    const item = (await store.read('test-app', ['*'])).get('*');
    expect(effectiveState('*', item, Date.UTC(2026, 11, 3)).open).toBe(true);
    expect(effectiveState('*', item, Date.UTC(2026, 11, 3)).resetsAt).toBe('2027-01-01T00:00:00.000Z');
    expect(effectiveState('*', item, Date.UTC(2027, 0, 1)).open).toBe(false);
  });
});
