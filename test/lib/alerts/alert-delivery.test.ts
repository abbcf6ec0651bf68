import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AlertDelivery, AlertDeliveryProps, BudgetAlertTopic, MonitoredWorkflows, CircuitBreaker, CostAnomalyMonitor, GenAiAlarms, GenAiDashboard, WebhookFormat } from '../../../lib';
import { evaluateAccess, AccessRequest, AccessPolicies } from '../../../lib/finops-checks/policy-evaluator';
import { EVALUATION_ENVIRONMENT, templateResolver } from '../../../lib/finops-checks/template-resolver';
import { NOTIFIER_CONFIG_ENV } from '../../../shared/contract';
import { readNotifierConfig } from '../../../lambda/notifier/config';
import { alertTimeBudgetMs } from '../../../lambda/notifier/notifier';
import { dashboardWidgetSpecs } from '../../../lib/observability/dashboard-spec';
import { simulate } from '../../support/policy-simulator';
import { createTestStack } from '../../support/test-app';
import { chatWorkflow, HAIKU, searchWorkflow } from '../observability/support';

// The alert sources of an application, as the library builds them, and their delivery to a webhook and Slack.
function deliveryOf(props: Partial<AlertDeliveryProps> = {}, options: { webhook?: boolean } = {}) {
  const stack = createTestStack();
  const workflows = [chatWorkflow(stack), searchWorkflow()];
  const alarms = new GenAiAlarms(stack, 'Alarms', { workflows, hourlySpendThresholdUsd: 5 });
  const anomalies = new CostAnomalyMonitor(stack, 'Anomalies', { applications: ['support'] });
  const budgets = new BudgetAlertTopic(stack, 'Budgets');
  const breaker = new CircuitBreaker(stack, 'Breaker', { application: 'support' });
  breaker.subscribeTo(alarms.spendTopic);
  const dashboard = new GenAiDashboard(stack, 'Dashboard', { workflows });
  const secret = (options.webhook ?? true) ? new secretsmanager.Secret(stack, 'WebhookUrl', { description: 'The Slack incoming webhook URL of #genai-alerts' }) : undefined;
  const delivery = new AlertDelivery(stack, 'AlertDelivery', {
    topics: [alarms.topic, anomalies.topic, budgets.topic],
    ...(options.webhook ?? true ? { webhookSecret: secret, circuitBreaker: breaker, workflows, dashboard, application: 'support' } : {}),
    ...props,
  });
  const template = Template.fromStack(stack);
  return { stack, template, delivery, alarms, anomalies, budgets, breaker, secret, dashboard };
}

const logicalIdOf = (stack: any, construct: any) => stack.getLogicalId(construct.node.defaultChild);
const DEPLOYER = `arn:aws:iam::${EVALUATION_ENVIRONMENT.account}:role/cdk-hnb659fds-cfn-exec-role`;

describe('AlertDelivery', () => {
  test('the queue is encrypted, refuses requests without TLS, and dead-letters a message after 5 deliveries', () => {
    const { template, stack, delivery } = deliveryOf();
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: stack.resolve(delivery.deadLetterQueue!.queueArn), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [stack.resolve(delivery.queue!.queueUrl)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(delivery.deadLetterQueue!.queueName) }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('a batch of alerts, each at its time limits (chart, webhook, claims), fits the notifier\'s timeout; the visibility is six times it', () => {
    const { template, stack, delivery } = deliveryOf();
    const fn = template.toJSON().Resources[logicalIdOf(stack, delivery.notifier!.function)].Properties;
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping') as Record<string, any>)
      .find((m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(stack.resolve(delivery.queue!.queueArn)))!.Properties;
    const config = readNotifierConfig(templateResolver(template.toJSON()).resolve(fn.Environment.Variables));

    expect(mapping.BatchSize * alertTimeBudgetMs(config.webhookTimeoutMs)).toBeLessThanOrEqual(fn.Timeout * 1000);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: fn.Timeout * 6 });
  });

  test('the breaker may read its own states, so that a join or a release names who else holds it open', () => {
    const { template, stack, breaker } = deliveryOf();
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, any>)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([stack.resolve(breaker.handler.function.role!.roleName)]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((st) => [st.Action].flat().includes('dynamodb:BatchGetItem'));
    expect(reads.map((st) => st.Resource)).toEqual([expect.arrayContaining([stack.resolve(breaker.table.tableArn)])]);
  });

  test('every alert topic delivers to the queue, and the notifier reports batch item failures', () => {
    const { template, stack, delivery, alarms, anomalies, budgets } = deliveryOf();
    for (const topic of [alarms.topic, anomalies.topic, budgets.topic]) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: stack.resolve(topic.topicArn), Endpoint: stack.resolve(delivery.queue!.queueArn) });
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: stack.resolve(delivery.queue!.queueArn),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  test('as deployed, each topic may send to the queue over TLS, no other topic may, and the deployer may subscribe', async () => {
    const { template, stack, delivery, alarms, anomalies, budgets } = deliveryOf();
    const json = template.toJSON();
    const resolver = templateResolver(json);
    const queueArn = resolver.arnOf(logicalIdOf(stack, delivery.queue!));
    const queuePolicy = Object.values(template.findResources('AWS::SQS::QueuePolicy') as Record<string, any>)
      .find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([stack.resolve(delivery.queue!.queueUrl)]));
    const queuePolicies: AccessPolicies = { resourcePolicy: resolver.resolve(queuePolicy.Properties.PolicyDocument) };
    const decide = async (request: AccessRequest, policies: AccessPolicies) => {
      const decision = await simulate(request, policies);
      expect(evaluateAccess(request, policies)).toBe(decision);
      return decision;
    };
    const send = (topicArn: string, secure: string): AccessRequest => ({
      principal: 'sns.amazonaws.com', action: 'sqs:SendMessage', resource: queueArn, resourceAccount: EVALUATION_ENVIRONMENT.account,
      context: { 'aws:SourceArn': topicArn, 'aws:SourceAccount': EVALUATION_ENVIRONMENT.account, 'aws:SecureTransport': secure },
    });
    for (const topic of [alarms.topic, anomalies.topic, budgets.topic]) {
      const topicArn = resolver.resolve(stack.resolve(topic.topicArn));
      expect(await decide(send(topicArn, 'true'), queuePolicies)).toBe('Allowed');
      expect(await decide(send(topicArn, 'false'), queuePolicies)).toBe('ExplicitlyDenied');
      // The topic's own policy (a TLS deny and its publishers) leaves the deployer's Subscribe to its identity policy.
      const topicPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, any>)
        .find((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([stack.resolve(topic.topicArn)]));
      const subscribe: AccessRequest = {
        principal: DEPLOYER, action: 'sns:Subscribe', resource: topicArn, resourceAccount: EVALUATION_ENVIRONMENT.account,
        context: { 'aws:SecureTransport': 'true', 'aws:PrincipalAccount': EVALUATION_ENVIRONMENT.account },
      };
      expect(await decide(subscribe, {
        resourcePolicy: resolver.resolve(topicPolicy.Properties.PolicyDocument),
        identityPolicies: [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
      })).toBe('Allowed');
    }
    const stranger = `arn:aws:sns:${EVALUATION_ENVIRONMENT.region}:${EVALUATION_ENVIRONMENT.account}:someone-elses-topic`;
    expect(await decide(send(stranger, 'true'), queuePolicies)).toBe('ImplicitlyDenied');
  });

  test('the notifier reads that one secret, writes only its claims and its charts, and draws charts', () => {
    const { template, stack, delivery } = deliveryOf();
    const secret = delivery.node.scope!.node.findChild('WebhookUrl') as secretsmanager.Secret;
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, any>)
      .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === logicalIdOf(stack, delivery.notifier!.role)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const secretStatements = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toEqual([expect.objectContaining({ Resource: stack.resolve(secret.secretArn) })]);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: [stack.resolve(delivery.claimsTable!.tableArn)],
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['s3:PutObject', 's3:GetObject'], Resource: stack.resolve(delivery.imageBucket!.arnForObjects('charts/*')) }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'cloudwatch:GetMetricWidgetImage', Resource: '*' }));
    expect(statements.flatMap((s: any) => [s.Action].flat())).not.toContain('secretsmanager:*');
  });

  test('the notifier\'s configuration carries the dashboard\'s own cost widget per workflow and in total, as the runtime reads it', () => {
    const { template, stack, delivery, dashboard } = deliveryOf();
    const fn = template.toJSON().Resources[logicalIdOf(stack, delivery.notifier!.function)];
    const env = templateResolver(template.toJSON()).resolve(fn.Properties.Environment.Variables);
    const config = readNotifierConfig(env);
    const spec = dashboardWidgetSpecs([{ application: 'support', feature: 'chat' }, { application: 'support', feature: 'search' }]).find((s) => s.id === 'cost-per-hour')!;

    expect(config).toMatchObject({ format: 'slack', application: 'support', imageUrlExpirySeconds: 3600, chartRange: 'P1D', claimRetentionDays: 14 });
    // The chart is the dashboard's cost widget: its title, unit, period, metric, statistic and series labels.
    expect(config.chart).toEqual({
      title: spec.title, unit: 'USD', periodSeconds: 3600, namespace: 'GenAI/FinOps', metricName: 'CostUSD', stat: 'Sum',
      series: [{ application: 'support', feature: 'chat', label: 'support/chat' }, { application: 'support', feature: 'search', label: 'support/search' }],
      totalLabel: 'Total',
    });
    expect(spec.title).toBe('Cost per hour (USD)');
    expect(config.dashboardName).toBe(templateResolver(template.toJSON()).resolve(stack.resolve(dashboard.dashboard.dashboardName)));
    expect(env[NOTIFIER_CONFIG_ENV].length).toBeLessThan(1200);
  });

  test('the breaker\'s decisions reach the queue as an on-success destination, and nothing of the delivery sits on the breaker\'s topics', () => {
    const { template, stack, delivery, breaker, alarms } = deliveryOf();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: stack.resolve(breaker.handler.function.functionName),
      DestinationConfig: { OnSuccess: { Destination: stack.resolve(delivery.queue!.queueArn) } },
    });
    const onBreakerTopics = Object.values(template.findResources('AWS::SNS::Subscription') as Record<string, any>)
      .filter((s) => [breaker.topic, alarms.spendTopic].some((t) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify(stack.resolve(t.topicArn))));
    expect(onBreakerTopics.map((s) => s.Properties.Protocol)).toEqual(['lambda', 'lambda']);
    expect(onBreakerTopics.every((s) => JSON.stringify(s.Properties.Endpoint) === JSON.stringify(stack.resolve(breaker.handler.function.functionArn)))).toBe(true);
  });

  test('a Slack channel through Chatbot gets the topics and a read-only guardrail instead of AdministratorAccess', () => {
    const { template, stack, alarms } = deliveryOf({ slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD', SlackChannelId: 'C0123ABCD',
      SnsTopicArns: Match.arrayWith([stack.resolve(alarms.topic.topicArn)]),
      GuardrailPolicies: [Match.anyValue()],
    });
    const [guardrail] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    const actions = guardrail.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['budgets:ViewBudget', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricWidgetImage']);
  });

  test('a Teams channel through Chatbot, without a webhook', () => {
    const { template, delivery } = deliveryOf({ teamsTenantId: '11111111-2222-3333-4444-555555555555', teamsTeamId: '66666666-7777-8888-9999-000000000000', teamsChannelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2' }, { webhook: false });
    template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 1);
    expect(delivery.queue).toBeUndefined();
    expect(Object.keys(template.toJSON().Resources).filter((id) => id.startsWith('AlertDelivery') && !/^AlertDeliveryChat|^AlertDeliveryTeams/.test(id))).toEqual([]);
  });

  test('the webhook format is written for the notifier', () => {
    const { template, stack, delivery } = deliveryOf({ webhookFormat: WebhookFormat.TEAMS });
    const fn = template.toJSON().Resources[logicalIdOf(stack, delivery.notifier!.function)];
    expect(readNotifierConfig(templateResolver(template.toJSON()).resolve(fn.Properties.Environment.Variables)).format).toBe('teams');
  });

  test('fails when there are no topics', () => {
    expect(() => deliveryOf({ topics: [] })).toThrow(/AlertDelivery: topics is empty\. Fix: pass the alert topics/);
  });

  test('fails when there is no destination', () => {
    expect(() => deliveryOf({}, { webhook: false })).toThrow(/AlertDelivery: no destination.*Fix: pass webhookSecret/);
  });

  test('fails when a webhook-only prop is given without a webhook', () => {
    const stack = createTestStack();
    const alarms = new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflowOf()], hourlySpendThresholdUsd: 5 });
    expect(() => new AlertDelivery(stack, 'AlertDelivery', { topics: [alarms.topic], slackWorkspaceId: 'T1', slackChannelId: 'C1', webhookFormat: WebhookFormat.JSON }))
      .toThrow(/webhookFormat is set but webhookSecret is not/);
  });

  test('fails when Slack is half configured, naming the fix', () => {
    expect(() => deliveryOf({ slackChannelId: 'C0123ABCD' })).toThrow(/Slack delivery needs both slackWorkspaceId and slackChannelId; got only slackChannelId/);
  });

  test('fails when the image URL would outlive its picture (deleted after a day)', () => {
    expect(() => deliveryOf({ imageUrlExpiry: Duration.days(2) })).toThrow(/AlertDelivery: imageUrlExpiry is 172800 seconds\. Fix: between 60 seconds and 1 day \(the pictures are deleted after a day; the URL also dies with the notifier's session credentials/);
    expect(() => deliveryOf({ imageUrlExpiry: Duration.days(1) })).not.toThrow();
  });

  test('fails at synth when the workflows\' charts would not fit Lambda\'s 4 KB environment, naming the count and the fix', () => {
    const workflows = Array.from({ length: 40 }, (_, i) => MonitoredWorkflows.of({ application: 'support', feature: `feature-number-${i}`, models: [HAIKU] }));
    expect(() => deliveryOf({ workflows })).toThrow(/AlertDelivery: the notifier's configuration for 40 workflows would take about \d+ bytes of environment once deployed .*Lambda allows 4096.*Fix: pass fewer workflows/);
  });

  test('fails on a misspelt prop, naming the nearest one', () => {
    expect(() => deliveryOf({ webhookSecrets: undefined } as any)).toThrow(/webhookSecrets/);
  });

  test('snapshot', () => {
    const { template } = deliveryOf({ slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' });
    const resources = template.toJSON().Resources as Record<string, any>;
    const own = Object.fromEntries(Object.entries(resources).filter(([id]) => id.startsWith('AlertDelivery')));
    expect(own).toMatchSnapshot();
  });
});

function searchWorkflowOf() {
  return searchWorkflow();
}
