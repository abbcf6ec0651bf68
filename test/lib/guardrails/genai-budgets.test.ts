import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BudgetActionApproval } from '../../../lib/guardrails/budget-action';
import { BudgetNotificationType, BudgetPeriod, GenAiBudgets, GenAiBudgetsProps } from '../../../lib/guardrails/genai-budgets';
import { createTestStack } from '../../support/test-app';
import { expectSignalPathsHold } from '../../support/policy-simulator';

const ARTICLE: GenAiBudgetsProps = {
  application: 'customer-support',
  productionAmountUsd: 50000,
  developmentAmountUsd: 2000,
  features: [
    { feature: 'chatbot', amountUsd: 15000 },
    { feature: 'document-analysis', amountUsd: 25000 },
    { feature: 'code-assistant', amountUsd: 10000, budgetName: 'code-assistant-monthly' },
  ],
  emailSubscribers: ['finops@example.com'],
};

function budgetsOf(props: GenAiBudgetsProps = ARTICLE, extra?: (stack: Stack) => Partial<GenAiBudgetsProps>) {
  const stack = createTestStack();
  const budgets = new GenAiBudgets(stack, 'Budgets', { ...props, ...(extra ? extra(stack) : {}) });
  return { stack, budgets, template: Template.fromStack(stack) };
}

function budgetNamed(template: Template, name: string): any {
  const found = Object.values(template.findResources('AWS::Budgets::Budget'))
    .find((b: any) => b.Properties.Budget.BudgetName === name) as any;
  expect(found).toBeDefined();
  return found.Properties;
}

function tagFilters(budget: any): Record<string, string[]> {
  return Object.fromEntries(budget.Budget.FilterExpression.And.map((e: any) => [e.Tags.Key, e.Tags.Values]));
}

function thresholdsOf(budget: any): Array<[string, number]> {
  return budget.NotificationsWithSubscribers.map((n: any) => [n.Notification.NotificationType, n.Notification.Threshold]);
}

describe('GenAiBudgets', () => {
  test('creates the production, development and feature budgets with explicit names, monthly, in USD', () => {
    const { template, budgets } = budgetsOf();
    template.resourceCountIs('AWS::Budgets::Budget', 5);
    expect(budgets.budgetNames).toEqual([
      'customer-support-production', 'customer-support-development', 'customer-support-feature-chatbot',
      'customer-support-feature-document-analysis', 'code-assistant-monthly',
    ]);
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        BudgetName: 'customer-support-production',
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: 50000, Unit: 'USD' },
        Metrics: ['UnblendedCost'],
      }),
    });
  });

  test('maps each feature budget name to the feature it counts, for the circuit breaker', () => {
    expect(budgetsOf().budgets.featureOfBudget).toEqual({
      'customer-support-feature-chatbot': 'chatbot',
      'customer-support-feature-document-analysis': 'document-analysis',
      'code-assistant-monthly': 'code-assistant',
    });
  });

  test('filters by the cost allocation tags Application, Environment and Feature, never by service', () => {
    const { template } = budgetsOf();
    expect(tagFilters(budgetNamed(template, 'customer-support-production'))).toEqual({ Application: ['customer-support'], Environment: ['production'] });
    expect(tagFilters(budgetNamed(template, 'customer-support-development'))).toEqual({ Application: ['customer-support'], Environment: ['development'] });
    expect(tagFilters(budgetNamed(template, 'customer-support-feature-chatbot'))).toEqual({
      Application: ['customer-support'], Environment: ['production'], Feature: ['chatbot'],
    });
    for (const budget of Object.values(template.findResources('AWS::Budgets::Budget')) as any[]) {
      expect(JSON.stringify(budget.Properties.Budget.FilterExpression)).not.toMatch(/Dimensions|SERVICE/);
      expect(budget.Properties.Budget.CostFilters).toBeUndefined();
    }
  });

  test('takes the environment names from props', () => {
    const { template } = budgetsOf({ ...ARTICLE, productionEnvironment: 'prod', developmentEnvironment: 'dev' });
    expect(tagFilters(budgetNamed(template, 'customer-support-production')).Environment).toEqual(['prod']);
    expect(tagFilters(budgetNamed(template, 'customer-support-development')).Environment).toEqual(['dev']);
    expect(tagFilters(budgetNamed(template, 'customer-support-feature-chatbot')).Environment).toEqual(['prod']);
  });

  test('alerts production at actual 80 and 100 % and forecasted 100 %, development at actual 50, 80 and 100 %', () => {
    const { template } = budgetsOf();
    expect(thresholdsOf(budgetNamed(template, 'customer-support-production'))).toEqual([['ACTUAL', 80], ['ACTUAL', 100], ['FORECASTED', 100]]);
    expect(thresholdsOf(budgetNamed(template, 'customer-support-development'))).toEqual([['ACTUAL', 50], ['ACTUAL', 80], ['ACTUAL', 100]]);
    expect(thresholdsOf(budgetNamed(template, 'customer-support-feature-chatbot'))).toEqual([['ACTUAL', 80], ['ACTUAL', 100], ['FORECASTED', 100]]);
    expect(budgetNamed(template, 'customer-support-production').NotificationsWithSubscribers[0].Notification)
      .toEqual({ NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 80, ThresholdType: 'PERCENTAGE' });
  });

  test('takes thresholds and the period from props', () => {
    const { template } = budgetsOf({
      application: 'app',
      productionAmountUsd: 100,
      productionThresholds: [{ percent: 90 }, { percent: 120, notificationType: BudgetNotificationType.FORECASTED }],
      features: [{ feature: 'qa', amountUsd: 10, thresholds: [{ percent: 150 }] }],
      period: BudgetPeriod.QUARTERLY,
    });
    expect(thresholdsOf(budgetNamed(template, 'app-production'))).toEqual([['ACTUAL', 90], ['FORECASTED', 120]]);
    expect(thresholdsOf(budgetNamed(template, 'app-feature-qa'))).toEqual([['ACTUAL', 150]]);
    expect(budgetNamed(template, 'app-production').Budget.TimeUnit).toBe('QUARTERLY');
  });

  test('every notification goes to the topic and to the email subscribers', () => {
    const { template, budgets, stack } = budgetsOf();
    const topicRef = stack.resolve(budgets.topic.topicArn);
    for (const budget of Object.values(template.findResources('AWS::Budgets::Budget')) as any[]) {
      for (const n of budget.Properties.NotificationsWithSubscribers) {
        expect(n.Subscribers).toEqual([
          { SubscriptionType: 'SNS', Address: topicRef },
          { SubscriptionType: 'EMAIL', Address: 'finops@example.com' },
        ]);
      }
    }
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finops@example.com' });
  });

  test('the topic is KMS encrypted and only this account\'s budgets may publish to it', () => {
    const { template } = budgetsOf();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'budgets.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::', { Ref: 'AWS::AccountId' }, ':budget/*']] } },
          },
        })]),
      }),
    });
  });

  test('adds no Budgets action without non-critical roles', () => {
    const { template, budgets } = budgetsOf();
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 0);
    expect(budgets.denyBedrockAction).toBeUndefined();
  });

  test('with non-critical roles, denies them Bedrock when the production total is overrun', () => {
    const { template } = budgetsOf(ARTICLE, (stack) => ({
      nonCriticalRoles: [iam.Role.fromRoleName(stack, 'Batch', 'batch-summaries')],
      denyBedrockThresholdPercent: 110,
      denyBedrockApproval: BudgetActionApproval.MANUAL,
    }));
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      BudgetName: 'customer-support-production',
      ActionThreshold: { Type: 'PERCENTAGE', Value: 110 },
      ApprovalModel: 'MANUAL',
      Definition: { IamActionDefinition: Match.objectLike({ Roles: ['batch-summaries'] }) },
    });
  });

  test('fails when non-critical roles are given without a production budget', () => {
    expect(() => budgetsOf({ application: 'app', developmentAmountUsd: 10 }, (stack) => ({
      nonCriticalRoles: [iam.Role.fromRoleName(stack, 'R', 'r')],
    }))).toThrow(/TestStack\/Budgets: nonCriticalRoles is set but there is no production budget.*Fix: set productionAmountUsd/);
  });

  test('fails when a threshold is 0 or below, or over 1000 %', () => {
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 10, productionThresholds: [{ percent: 0 }] }))
      .toThrow(/TestStack\/Budgets: budget "app-production": thresholds\[0\]\.percent is 0\. Fix: use a percentage of the budget over 0 and at most 1000/);
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 10, productionThresholds: [{ percent: 80 }, { percent: 1001 }] }))
      .toThrow(/thresholds\[1\]\.percent is 1001/);
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 10, productionThresholds: [] }))
      .toThrow(/it has 0 thresholds; Budgets needs 1 to 10/);
  });

  test('fails when a budget amount is 0 or below', () => {
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 0 }))
      .toThrow(/TestStack\/Budgets: budget "app-production": the amount is 0 USD\. Fix: use a positive number/);
    expect(() => budgetsOf({ application: 'app', features: [{ feature: 'qa', amountUsd: -5 }] }))
      .toThrow(/budget "app-feature-qa": the amount is -5 USD/);
  });

  test('fails when a name is empty or has characters Budgets refuses', () => {
    expect(() => budgetsOf({ application: '', productionAmountUsd: 10 })).toThrow(/TestStack\/Budgets: application is empty\. Fix:/);
    expect(() => budgetsOf({ application: 'app', budgetNamePrefix: ' ', productionAmountUsd: 10 })).toThrow(/budgetNamePrefix is empty/);
    expect(() => budgetsOf({ application: 'app', features: [{ feature: 'qa', amountUsd: 1, budgetName: '' }] }))
      .toThrow(/budget "": the name must be 1 to 100 characters/);
    expect(() => budgetsOf({ application: 'app', features: [{ feature: 'qa', amountUsd: 1, budgetName: 'a:b' }] }))
      .toThrow(/budget "a:b": the name must be 1 to 100 characters without ':'/);
    expect(() => budgetsOf({ application: 'app', features: [{ feature: '', amountUsd: 1 }] }))
      .toThrow(/features\[0\]\.feature is ""\. Fix: use the Feature tag value/);
  });

  test('fails when two budgets share a name', () => {
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 10, features: [{ feature: 'qa', amountUsd: 1, budgetName: 'app-production' }] }))
      .toThrow(/two budgets are named "app-production"/);
  });

  test('fails when no budget is configured, or with more email subscribers than Budgets accepts', () => {
    expect(() => budgetsOf({ application: 'app' })).toThrow(/no budget is configured\. Fix: set productionAmountUsd/);
    const emails = Array.from({ length: 11 }, (_, i) => `u${i}@example.com`);
    expect(() => budgetsOf({ application: 'app', productionAmountUsd: 10, emailSubscribers: emails }))
      .toThrow(/emailSubscribers has 11 addresses; Budgets accepts at most 10/);
  });

  test('matches the snapshot', () => {
    expect(budgetsOf(ARTICLE, (stack) => ({ nonCriticalRoles: [iam.Role.fromRoleName(stack, 'Batch', 'batch-summaries')] })).template.toJSON()).toMatchSnapshot();
  });
});

describe('GenAiBudgets signal paths, evaluated by an IAM policy simulator', () => {
  test('every budget and the budget action may notify the topic, and Budgets may attach only the deny policy', async () => {
    const { template } = budgetsOf(ARTICLE, (stack) => ({ nonCriticalRoles: [new iam.Role(stack, 'Batch', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') })] }));
    await expectSignalPathsHold(template.toJSON(), ['budget → topic', 'budget action → deny policy']);
  });
});
