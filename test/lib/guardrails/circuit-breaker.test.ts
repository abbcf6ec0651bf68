import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ApiWorkflow, BreakerPeriod, CircuitBreaker, CircuitBreakerProps, RoutingTier, WhenTripped } from '../../../lib';
import { readBreakerHandlerConfig } from '../../../lambda/breaker/config';
import { readPipelineConfig } from '../../../lambda/pipeline/config';
import { resolveIntrinsics } from '../../support/intrinsics';
import { createTestStack, pipelineConfigOf, policyStatements } from '../../support/test-app';
import { expectSignalPathsHold } from '../../support/policy-simulator';

const MODELS = ['anthropic.claude-haiku-4-5-20251001-v1:0', 'none'];

function breakerStack(props: CircuitBreakerProps = {}) {
  const stack = createTestStack();
  const breaker = new CircuitBreaker(stack, 'Breaker', { budgets: [{ budgetName: 'genai-monthly-total' }], ...props });
  return { stack, breaker };
}

function breakerEnv(template: Template): Record<string, string> {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('circuit breaker') } })) as any[];
  return resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>;
}

describe('CircuitBreaker', () => {
  test('keeps states and audit items in an encrypted on-demand table keyed pk/sk, with TTL and point-in-time recovery', () => {
    Template.fromStack(breakerStack().stack).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test('listens on a KMS-encrypted topic that AWS Budgets may publish to, through a Lambda subscription', () => {
    const template = Template.fromStack(breakerStack().stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'budgets.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) }),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowBudgetsPublish', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sns:Publish' })]) }),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda' });
  });

  test('subscribes to several topics, even two that are each some construct\'s `Resource`, once each', () => {
    const { stack, breaker } = breakerStack();
    const budgetTopic = new sns.Topic(new Construct(stack, 'Budgets'), 'Resource', { enforceSSL: true, masterKey: breaker.key });
    const alarmTopic = new sns.Topic(new Construct(stack, 'Alarms'), 'Resource', { enforceSSL: true, masterKey: breaker.key });

    breaker.subscribeTo(budgetTopic);
    breaker.subscribeTo(alarmTopic);
    breaker.subscribeTo(alarmTopic);

    const template = Template.fromStack(stack);
    // Its own topic and the two others
    template.resourceCountIs('AWS::SNS::Subscription', 3);
    template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'sns.amazonaws.com' }, 3);
  });

  test('the function may only update and put items on its table', () => {
    const dynamo = policyStatements(Template.fromStack(breakerStack().stack)).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0].Action.sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  test('writes the budget and alarm mappings the runtime reads', () => {
    const { stack, breaker } = breakerStack({ application: 'customer-support' });
    breaker.tripOnBudget({ budgetName: 'docs-daily', features: ['ticket-attachments'], period: BreakerPeriod.DAY });
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric({ application: 'customer-support', feature: 'support-chat', models: MODELS }), feature: 'support-chat' }, 25);

    const config = readBreakerHandlerConfig(breakerEnv(Template.fromStack(stack)));

    expect(config).toMatchObject({
      application: 'customer-support',
      budgets: [{ name: 'genai-monthly-total', features: ['*'] }, { name: 'docs-daily', features: ['ticket-attachments'], period: 'day' }],
      alarms: [{ name: expect.stringMatching(/^ref:BreakerSpendAlarmsupportchat/), features: ['support-chat'] }],
      alarmPeriod: 'month', auditRetentionDays: 400,
    });
    expect(config.tableName).toMatch(/^ref:BreakerTable/);
  });

  test('tripOnSpend alarms on the hourly CostUSD sum above the threshold, with the topic as alarm and OK action', () => {
    const { stack, breaker } = breakerStack();
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric({ application: 'customer-support', feature: 'support-chat', models: MODELS }), feature: 'support-chat' }, 25);

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 25,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(m0, 0) + FILL(m1, 0)' }),
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'CostUSD', Namespace: 'GenAI/FinOps' }), Period: 3600, Stat: 'Sum' }) })]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('BreakerTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('BreakerTopic') }],
    });
  });

  test('subscribeTo adds one subscription per topic', () => {
    const { stack, breaker } = breakerStack();
    const budgetsTopic = new sns.Topic(stack, 'BudgetsTopic', { enforceSSL: true, masterKey: breaker.key });
    breaker.subscribeTo(budgetsTopic);
    breaker.subscribeTo(budgetsTopic);

    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 2);
  });

  test('grantRead allows BatchGetItem and GetItem only', () => {
    const { stack, breaker } = breakerStack();
    breaker.grantRead(new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'] })] },
    });
  });

  test('warns when the spend metric is not summed per hour', () => {
    const { stack, breaker } = breakerStack();
    const fiveMinutes = new cloudwatch.Metric({ namespace: 'GenAI/FinOps', metricName: 'CostUSD', period: Duration.minutes(5) });
    breaker.tripOnSpend({ metric: fiveMinutes, feature: '*' }, 100);

    Annotations.fromStack(stack).hasWarning('/TestStack/Breaker', Match.stringLikeRegexp("the metric's period is 300 s"));
  });

  test('fails when the spend threshold is not positive', () => {
    const { breaker } = breakerStack();
    const metric = CircuitBreaker.hourlyCostMetric({ application: 'a', feature: 'f', models: MODELS });
    expect(() => breaker.tripOnSpend({ metric, feature: 'f' }, 0)).toThrow(/TestStack\/Breaker: tripOnSpend\(f\): thresholdUsdPerHour is 0\. Fix: use a positive number/);
  });

  test('fails when a feature name is not a Feature tag value, or a budget is mapped twice', () => {
    const { breaker } = breakerStack();
    expect(() => breaker.tripOnBudget({ budgetName: 'b', features: ['support chat!'] })).toThrow(/TestStack\/Breaker: tripOnBudget: feature "support chat!" is not a feature name\. Fix:/);
    expect(() => breaker.tripOnBudget({ budgetName: 'genai-monthly-total' })).toThrow(/budget 'genai-monthly-total' is already mapped\. Fix: list all its features in one BudgetTrigger/);
  });

  test('fails when the cache TTL would delay a trip by more than an hour', () => {
    expect(() => breakerStack({ cacheTtl: Duration.hours(2) })).toThrow(/TestStack\/Breaker: cacheTtl is 7200 seconds.*Fix: use at most Duration\.hours\(1\)/);
  });

  test('matches the snapshot', () => {
    const { stack, breaker } = breakerStack({ application: 'customer-support' });
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric({ application: 'customer-support', feature: 'support-chat', models: MODELS }), feature: 'support-chat' }, 25);
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

describe('a workflow with a circuit breaker', () => {
  function workflow(props: Partial<ConstructorParameters<typeof ApiWorkflow>[2]> = {}) {
    const stack = createTestStack();
    const breaker = new CircuitBreaker(stack, 'Breaker', { cacheTtl: Duration.seconds(15) });
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker, ...props });
    return { stack, template: Template.fromStack(stack) };
  }

  test('writes the guards.breaker section the runtime reads, and may read the state table', () => {
    const { template } = workflow({ whenTripped: WhenTripped.DOWNGRADE, downgradeTo: RoutingTier.MEDIUM });

    expect(pipelineConfigOf(template, 'ChatHandler').guards).toEqual({
      store: 'container', usageLimits: [],
      breaker: { tableName: expect.stringMatching(/^\$\{BreakerTable/), cacheTtlSeconds: 15, features: {}, defaultFeature: { critical: false, whenTripped: 'downgrade', downgradeTo: 'medium' } },
    });
    const fn = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ChatHandler'))![1] as any;
    const env = resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>;
    expect(readPipelineConfig(env).guards.breaker).toMatchObject({ cacheTtlSeconds: 15, defaultFeature: { whenTripped: 'downgrade' } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('ChatHandlerServiceRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'] })]) },
    });
  });

  test('a critical workflow is written as critical', () => {
    expect(pipelineConfigOf(workflow({ critical: true }).template, 'ChatHandler').guards.breaker.defaultFeature).toEqual({ critical: true, whenTripped: 'pause' });
  });

  test('fails when whenTripped is set without a circuit breaker', () => {
    const stack = createTestStack();
    expect(() => new ApiWorkflow(stack, 'Chat', { whenTripped: WhenTripped.PAUSE })).toThrow(/TestStack\/Chat: whenTripped is set without a circuitBreaker, so it does nothing\. Fix: pass circuitBreaker/);
  });

  test('fails when downgradeTo is set but the workflow pauses', () => {
    expect(() => workflow({ downgradeTo: RoutingTier.SIMPLE })).toThrow(/TestStack\/Chat: downgradeTo is 'simple' but whenTripped is not set \(pause\)\. Fix: set whenTripped: WhenTripped\.DOWNGRADE/);
  });

});

describe('CircuitBreaker signal paths, evaluated by an IAM policy simulator', () => {
  test('its spend alarm may publish to its topic and use the key, and the topic may invoke the breaker', async () => {
    const { stack, breaker } = breakerStack();
    breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric({ application: 'customer-support', feature: 'support-chat', models: MODELS }), feature: 'support-chat' }, 25);
    await expectSignalPathsHold(Template.fromStack(stack).toJSON(), ['alarm → topic', 'topic → function']);
  });

  test('budgets may publish to its topic for this account\'s budgets only (aws:SourceAccount and aws:SourceArn)', async () => {
    const { stack } = breakerStack();
    // A budget of the app notifying the breaker's topic, as GenAiBudgets' would.
    const template = Template.fromStack(stack).toJSON();
    const topicId = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::SNS::Topic')!;
    template.Resources.Budget = {
      Type: 'AWS::Budgets::Budget', Properties: {
        Budget: { BudgetName: 'genai-monthly-total', BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 100, Unit: 'USD' } },
        NotificationsWithSubscribers: [{ Notification: { NotificationType: 'ACTUAL', ComparisonOperator: 'GREATER_THAN', Threshold: 80 }, Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topicId } }] }],
      },
    };
    await expectSignalPathsHold(template, ['budget → topic', 'topic → function']);
  });
});
