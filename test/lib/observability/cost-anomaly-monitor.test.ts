import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CostAnomalyMonitor, CostAnomalyMonitorProps } from '../../../lib/observability';
import { createTestStack } from '../../support/test-app';
import { expectSignalPathsHold } from '../../support/policy-simulator';

function monitorOf(props: CostAnomalyMonitorProps = { applications: ['customer-support'] }) {
  const stack = createTestStack();
  const monitor = new CostAnomalyMonitor(stack, 'Anomalies', props);
  return { stack, monitor, template: Template.fromStack(stack) };
}

describe('CostAnomalyMonitor', () => {
  test('monitors the spend carrying the Application cost allocation tag', () => {
    monitorOf({ applications: ['customer-support', 'doc-analyzer'] }).template.hasResourceProperties('AWS::CE::AnomalyMonitor', {
      MonitorType: 'CUSTOM',
      MonitorSpecification: JSON.stringify({ Tags: { Key: 'Application', Values: ['customer-support', 'doc-analyzer'], MatchOptions: ['EQUALS'] } }),
      MonitorDimension: Match.absent(),
    });
  });

  test('takes a Cost Explorer expression of your own instead', () => {
    const spec = '{"Dimensions":{"Key":"SERVICE","Values":["Amazon Bedrock"]}}';
    monitorOf({ monitorSpecification: spec }).template.hasResourceProperties('AWS::CE::AnomalyMonitor', { MonitorType: 'CUSTOM', MonitorSpecification: spec });
  });

  test('publishes each anomaly of at least $10 total impact at once to the topic, with ThresholdExpression', () => {
    const { template, monitor } = monitorOf();
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      Frequency: 'IMMEDIATE',
      MonitorArnList: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Anomalies'), 'MonitorArn'] }],
      Subscribers: [{ Type: 'SNS', Address: { Ref: topic } }],
      ThresholdExpression: JSON.stringify({ Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: ['10'] } }),
      Threshold: Match.absent(),
    });
    expect(monitor.thresholdUsd).toBe(10);
    monitorOf({ applications: ['a'], thresholdUsd: 250 }).template.hasResourceProperties('AWS::CE::AnomalySubscription', {
      ThresholdExpression: Match.stringLikeRegexp('"Values":\\["250"\\]'),
    });
  });

  test('lets Cost Anomaly Detection publish to the topic and use its KMS key, for this account only', () => {
    const { template } = monitorOf({ applications: ['customer-support'], emailSubscriptions: ['finops@example.com'] });
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCostAnomalyDetectionToPublish', Effect: 'Allow', Action: 'sns:Publish',
          Principal: { Service: 'costalerts.amazonaws.com' }, Resource: { Ref: topic },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'costalerts.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomaliesKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'finops@example.com' });
    const subscription = Object.values(template.findResources('AWS::CE::AnomalySubscription'))[0] as any;
    expect(subscription.DependsOn).toEqual([expect.stringMatching(/^AnomaliesTopicPolicy/)]);
  });

  test('extends the policies of a topic and key it is given', () => {
    const stack = createTestStack();
    const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Shared', { masterKey: key, enforceSSL: true });
    new CostAnomalyMonitor(stack, 'Anomalies', { applications: ['a'], topic });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'costalerts.amazonaws.com' } })]) } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'costalerts.amazonaws.com' } })]) } });
  });

  test('warns when the topic it is given cannot be extended', () => {
    const stack = createTestStack();
    new CostAnomalyMonitor(stack, 'Anomalies', { applications: ['a'], topic: sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:us-east-1:123456789012:t') });
    Annotations.fromStack(stack).hasWarning('/TestStack/Anomalies', Match.stringLikeRegexp('allow costalerts.amazonaws.com to sns:Publish'));
  });

  test('fails when the threshold is zero or negative', () => {
    expect(() => monitorOf({ applications: ['a'], thresholdUsd: 0 })).toThrow(/TestStack\/Anomalies: thresholdUsd is 0\. Fix: use a positive amount/);
  });

  test('fails when neither or both of applications and monitorSpecification are given', () => {
    expect(() => monitorOf({})).toThrow(/TestStack\/Anomalies: applications is missing\. Fix: list the Application tag values/);
    expect(() => monitorOf({ applications: [] })).toThrow(/applications is empty/);
    expect(() => monitorOf({ applications: ['a'], monitorSpecification: '{}' })).toThrow(/both applications and monitorSpecification are set/);
    expect(() => monitorOf({ monitorSpecification: 'Tags=Application' })).toThrow(/monitorSpecification is not JSON: 'Tags=Application'/);
  });

  test('matches the snapshot', () => {
    expect(monitorOf().template.toJSON()).toMatchSnapshot();
  });
});

describe('CostAnomalyMonitor signal paths, evaluated by an IAM policy simulator', () => {
  test('Cost Anomaly Detection may publish to its topic and use the key, for this account\'s subscriptions only', async () => {
    await expectSignalPathsHold(monitorOf().template.toJSON(), ['cost anomaly subscription → topic']);
  });

  test('and to a topic of the app it is given', async () => {
    const stack = createTestStack();
    const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Shared', { masterKey: key, enforceSSL: true });
    new CostAnomalyMonitor(stack, 'Anomalies', { applications: ['a'], topic });
    await expectSignalPathsHold(Template.fromStack(stack).toJSON(), ['cost anomaly subscription → topic']);
  });
});
