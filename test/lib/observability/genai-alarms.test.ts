import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GenAiAlarms, GenAiAlarmsProps } from '../../../lib/observability';
import { createTestStack } from '../../support/test-app';
import { chatWorkflow, HAIKU, searchWorkflow, SONNET, TITAN_EMBED } from './support';
import { expectSignalPathsHold } from '../../support/policy-simulator';
import * as kms from 'aws-cdk-lib/aws-kms';

function alarmsOf(props: Partial<GenAiAlarmsProps> = {}) {
  const stack = createTestStack();
  const alarms = new GenAiAlarms(stack, 'Alarms', {
    workflows: [chatWorkflow(stack), searchWorkflow()],
    hourlySpendThresholdUsd: 5,
    emailSubscriptions: ['finops@example.com'],
    ...props,
  });
  const template = Template.fromStack(stack);
  return { stack, alarms, template, alarmResources: Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[] };
}

const expressionOf = (alarm: any) => alarm.Properties.Metrics.find((m: any) => m.ReturnData !== false).Expression as string;
const byDescription = (alarms: any[], pattern: RegExp) => alarms.filter((a) => pattern.test(a.Properties.AlarmDescription));
const metricsOf = (alarm: any) => alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => ({
  id: m.Id, name: m.MetricStat.Metric.MetricName, stat: m.MetricStat.Stat, period: m.MetricStat.Period,
  model: m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Model')?.Value,
  feature: m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'Feature')?.Value,
}));
const actionsOf = (alarm: any) => alarm.Properties.AlarmActions.map((a: any) => a.Ref);

describe('GenAiAlarms', () => {
  test('alarms on each workflow\'s spend per hour above the threshold, all models added up, to both topics', () => {
    const { template, alarmResources } = alarmsOf({ workflowHourlySpendThresholdUsd: 2 });
    const [chat] = byDescription(alarmResources, /^support\/chat spent more than \$2 in an hour/);
    expect(chat.Properties).toMatchObject({ Threshold: 2, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(expressionOf(chat)).toBe('(FILL(c0, 0) + FILL(c1, 0))');
    expect(metricsOf(chat)).toEqual([
      { id: 'c0', name: 'CostUSD', stat: 'Sum', period: 3600, model: HAIKU, feature: 'chat' },
      { id: 'c1', name: 'CostUSD', stat: 'Sum', period: 3600, model: SONNET, feature: 'chat' },
    ]);
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(actionsOf(chat).sort()).toEqual(topics.sort());
    expect(chat.Properties.OKActions.map((a: any) => a.Ref)).toEqual([topics.find((t) => t.includes('SpendTopic'))]);
  });

  test('alarms on the total spend per hour of every workflow', () => {
    const [total] = byDescription(alarmsOf().alarmResources, /^The workflows together spent more than \$5/);
    expect(total.Properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(expressionOf(total)).toBe('((FILL(w0_0, 0) + FILL(w0_1, 0)) + (FILL(w1_0, 0)))');
    expect(metricsOf(total).map((m: any) => [m.feature, m.model, m.period])).toEqual([['chat', HAIKU, 3600], ['chat', SONNET, 3600], ['search', TITAN_EMBED, 3600]]);
  });

  test('has no total alarm for one workflow: its own alarm is the total', () => {
    const stack = createTestStack();
    new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflow()], hourlySpendThresholdUsd: 5 });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(byDescription(alarms, /together/)).toHaveLength(0);
    expect(byDescription(alarms, /^support\/search spent more than \$5/)).toHaveLength(1);
  });

  test('declares an anomaly detector on each workflow\'s cost per hour and alarms above its band', () => {
    const { template, alarmResources, alarms } = alarmsOf();
    template.resourceCountIs('AWS::CloudWatch::AnomalyDetector', 2);
    template.hasResourceProperties('AWS::CloudWatch::AnomalyDetector', {
      MetricMathAnomalyDetector: {
        MetricDataQueries: [
          { Id: 'cost', Expression: '(FILL(c0, 0) + FILL(c1, 0))', ReturnData: true },
          Match.objectLike({ Id: 'c0', ReturnData: false, MetricStat: Match.objectLike({ Period: 3600, Stat: 'Sum', Metric: Match.objectLike({ Namespace: 'GenAI/FinOps', MetricName: 'CostUSD' }) }) }),
          Match.objectLike({ Id: 'c1', ReturnData: false }),
        ],
      },
    });
    const [anomaly] = byDescription(alarmResources, /^support\/chat's cost in the last hour is above the band/);
    expect(anomaly.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanUpperThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(anomaly.Properties.Threshold).toBeUndefined();
    const band = anomaly.Properties.Metrics.find((m: any) => m.Id === anomaly.Properties.ThresholdMetricId);
    expect(band.Expression).toBe('ANOMALY_DETECTION_BAND(cost, 3)');
    // The band's input is the detector's expression, returned too (an anomaly alarm compares it with the band).
    expect(anomaly.Properties.Metrics.find((m: any) => m.Id === 'cost')).toMatchObject({ Expression: '(FILL(c0, 0) + FILL(c1, 0))', ReturnData: true });
    expect(metricsOf(anomaly).map((m: any) => [m.id, m.name, m.period])).toEqual([['c0', 'CostUSD', 3600], ['c1', 'CostUSD', 3600]]);
    expect(alarms.spendAlarms).toHaveLength(5); // 2 hourly, 2 anomaly, 1 total
  });

  test('alarms when a single request has more than 20,000 input tokens (the largest InputTokenBound of any model)', () => {
    const [chat] = byDescription(alarmsOf().alarmResources, /^A single support\/chat request had more than 20000 input tokens/);
    expect(chat.Properties).toMatchObject({ Threshold: 20000, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(expressionOf(chat)).toBe('MAX([b0, b1])');
    expect(metricsOf(chat).map((m: any) => [m.name, m.stat, m.period])).toEqual([['InputTokenBound', 'Maximum', 300], ['InputTokenBound', 'Maximum', 300]]);
    expect(byDescription(alarmsOf({ maxRequestTokens: 50_000 }).alarmResources, /more than 50000 input tokens/)).toHaveLength(2);
  });

  test('alarms on the prompt-cache hit rate below 90 % per caching model, only in hours with 20 model calls', () => {
    const { alarmResources } = alarmsOf();
    const cache = byDescription(alarmResources, /prompt cache/);
    expect(cache).toHaveLength(2); // haiku and sonnet of chat; the embedding workflow has no prompt cache
    for (const alarm of cache) {
      expect(alarm.Properties).toMatchObject({ Threshold: 90, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
      expect(expressionOf(alarm)).toBe('IF((FILL(a0, 0)) >= 20 AND ((FILL(i0, 0)) + (FILL(r0, 0)) + (FILL(w0, 0))) > 0, 100 * (FILL(r0, 0)) / ((FILL(i0, 0)) + (FILL(r0, 0)) + (FILL(w0, 0))), 100)');
      expect(metricsOf(alarm).map((m: any) => [m.id, m.name, m.period]).sort()).toEqual([
        ['a0', 'ModelAttempts', 3600], ['i0', 'InputTokens', 3600], ['r0', 'CacheReadInputTokens', 3600], ['w0', 'CacheWriteInputTokens', 3600],
      ]);
    }
    expect(cache.map((a) => metricsOf(a)[0].model).sort()).toEqual([HAIKU, SONNET].sort());
    const tuned = byDescription(alarmsOf({ promptCacheHitRateTarget: 0.75, promptCacheMinModelCallsPerHour: 5 }).alarmResources, /prompt cache/)[0];
    expect(tuned.Properties.Threshold).toBe(75);
    expect(expressionOf(tuned)).toMatch(/^IF\(\(FILL\(a0, 0\)\) >= 5 AND/);
  });

  test('alarms on handler errors and dead-letter messages of workflows that have them', () => {
    const { alarmResources } = alarmsOf();
    const [errors] = byDescription(alarmResources, /handler failed/);
    expect(errors.Properties).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const [dead] = byDescription(alarmResources, /dead-letter queue/);
    expect(dead.Properties).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    expect(byDescription(alarmResources, /handler failed|dead-letter/)).toHaveLength(2); // none for the handler-less workflow
  });

  test('alarms on Bedrock throttles of every model in two of three 5-minute periods', () => {
    const [throttles] = byDescription(alarmsOf().alarmResources, /^Bedrock throttled/);
    expect(throttles.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
    expect(throttles.Properties.Metrics).toEqual([expect.objectContaining({ Expression: 'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId)', Period: 300 })]);
  });

  test('notifies every alarm to a KMS-encrypted topic with the email subscriptions, under a key CloudWatch may use', () => {
    const { template, alarmResources, alarms } = alarmsOf();
    const topic = Object.keys(template.findResources('AWS::SNS::Topic')).find((t) => !t.includes('SpendTopic'));
    for (const alarm of alarmResources) expect(actionsOf(alarm)).toContain(topic);
    expect(alarms.alarms).toHaveLength(alarmResources.length);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finops@example.com', TopicArn: { Ref: topic } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('uses a topic it is given', () => {
    const stack = createTestStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:us-east-1:123456789012:alarms');
    const alarms = new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflow()], hourlySpendThresholdUsd: 5, topic });
    expect(alarms.topic).toBe(topic);
    const alarm = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))[0] as any;
    expect(alarm.Properties.AlarmActions).toContain('arn:aws:sns:us-east-1:123456789012:alarms');
  });

  test('fails when a threshold is zero or negative', () => {
    expect(() => alarmsOf({ hourlySpendThresholdUsd: 0 })).toThrow(/TestStack\/Alarms: hourlySpendThresholdUsd is 0\. Fix: use a positive amount in USD/);
    expect(() => alarmsOf({ workflowHourlySpendThresholdUsd: -1 })).toThrow(/workflowHourlySpendThresholdUsd is -1\. Fix/);
    expect(() => alarmsOf({ maxRequestTokens: 0 })).toThrow(/maxRequestTokens is 0\. Fix: use a positive number of tokens/);
  });

  test('fails when the prompt-cache target is outside (0, 1]', () => {
    expect(() => alarmsOf({ promptCacheHitRateTarget: 90 })).toThrow(/TestStack\/Alarms: promptCacheHitRateTarget is 90; it is a fraction in \(0, 1\]\. Fix: use e\.g\. 0\.9/);
    expect(() => alarmsOf({ promptCacheHitRateTarget: 0 })).toThrow(/promptCacheHitRateTarget is 0;/);
  });

  test('fails when the workflow list is empty', () => {
    expect(() => alarmsOf({ workflows: [] })).toThrow(/TestStack\/Alarms: workflows is empty\. Fix: pass the workflows to watch/);
  });

  test('fails when an email address is not one', () => {
    expect(() => alarmsOf({ emailSubscriptions: ['finops'] })).toThrow(/emailSubscriptions contains 'finops'/);
  });

  describe('construct ids come from the workflow, not its place in the list', () => {
    // What a deploy would replace: alarms and anomaly detectors by logical id (a detector replaced forgets its band).
    const alarmsAndDetectors = (order: 'chat-first' | 'search-first', chatModels = [HAIKU, SONNET]) => {
      const stack = createTestStack();
      const chat = { ...chatWorkflow(stack), models: chatModels };
      const workflows = order === 'chat-first' ? [chat, searchWorkflow()] : [searchWorkflow(), chat];
      new GenAiAlarms(stack, 'Alarms', { workflows, hourlySpendThresholdUsd: 5 });
      const template = Template.fromStack(stack);
      return { ...template.findResources('AWS::CloudWatch::Alarm'), ...template.findResources('AWS::CloudWatch::AnomalyDetector') };
    };

    test('reordering the workflows changes no alarm or anomaly detector, by logical id or by property', () => {
      const chatFirst = alarmsAndDetectors('chat-first');
      const searchFirst = alarmsAndDetectors('search-first');

      expect(Object.keys(chatFirst).length).toBeGreaterThan(5);
      expect(searchFirst).toEqual(chatFirst);
    });

    test('reordering a workflow\'s models keeps each model\'s prompt-cache alarm under its logical id', () => {
      const promptCacheAlarms = (models: string[]) => Object.fromEntries(Object.entries(alarmsAndDetectors('chat-first', models))
        .filter(([, alarm]: [string, any]) => /prompt cache/.test(alarm.Properties.AlarmDescription ?? ''))
        .map(([id, alarm]: [string, any]) => [id, alarm.Properties.AlarmDescription]));

      const haikuFirst = promptCacheAlarms([HAIKU, SONNET]);
      expect(Object.keys(haikuFirst)).toHaveLength(2);
      expect(promptCacheAlarms([SONNET, HAIKU])).toEqual(haikuFirst);
    });

    test('names each workflow\'s alarms after its Application and Feature', () => {
      const withoutHash = Object.keys(alarmsAndDetectors('chat-first')).map((id) => id.replace(/[0-9A-F]{8}$/, ''));

      expect(withoutHash.filter((id) => id.startsWith('AlarmsWorkflowsupportsearch')).sort()).toEqual([
        'AlarmsWorkflowsupportsearchContentLength', 'AlarmsWorkflowsupportsearchCostAnomaly', 'AlarmsWorkflowsupportsearchCostAnomalyDetector',
        'AlarmsWorkflowsupportsearchHourlySpend',
      ]);
      expect(withoutHash).toContain('AlarmsWorkflowsupportchatPromptCacheanthropicclaudehaiku4520251001v10');
    });
  });

  test('matches the snapshot', () => {
    expect(alarmsOf().template.toJSON()).toMatchSnapshot();
  });
});

describe('GenAiAlarms signal paths, evaluated by an IAM policy simulator', () => {
  test('every alarm may publish to its topics and use their key, for this account\'s alarms only and over TLS', async () => {
    const simulated = await expectSignalPathsHold(alarmsOf().template.toJSON(), ['alarm → topic']);
    expect(simulated.filter(({ check }) => check.expect === 'allow' && check.request.action === 'sns:Publish').length).toBeGreaterThan(5);
  });

  test('a topic of the app it is given lets the alarms publish and use its key', async () => {
    const stack = createTestStack();
    const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Shared', { masterKey: key, enforceSSL: true });
    new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflow()], hourlySpendThresholdUsd: 5, topic });
    await expectSignalPathsHold(Template.fromStack(stack).toJSON(), ['alarm → topic']);
  });

  test('warns when the topic it is given is imported: its policy cannot let the alarms publish from here', () => {
    const stack = createTestStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:us-east-1:123456789012:alarms');
    new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflow()], hourlySpendThresholdUsd: 5, topic });
    Annotations.fromStack(stack).hasWarning('/TestStack/Alarms', Match.stringLikeRegexp('allow cloudwatch.amazonaws.com to sns:Publish to it .*aws:SourceArn'));
  });

  test('warns, and still synthesizes, when the topic it is given is the app\'s but its key is imported', () => {
    const stack = createTestStack();
    const key = kms.Key.fromKeyArn(stack, 'ExistingKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const topic = new sns.Topic(stack, 'Shared', { masterKey: key, enforceSSL: true });
    new GenAiAlarms(stack, 'Alarms', { workflows: [searchWorkflow()], hourlySpendThresholdUsd: 5, topic });
    Annotations.fromStack(stack).hasWarning('/TestStack/Alarms', Match.stringLikeRegexp('its key policy cannot be extended'));
  });
});
