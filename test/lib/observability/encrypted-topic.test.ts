import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { allowServiceToPublish, allowServiceToUseKey, TopicPublisher } from '../../../lib/private/encrypted-topic';
import { createTestStack } from '../../support/test-app';

describe('TopicPublisher.BUDGETS', () => {
  // The statements BudgetAlertTopic and CircuitBreaker give AWS Budgets, from one helper.
  test('lets AWS Budgets use the key and publish, for this account\'s budgets only', () => {
    const stack = createTestStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
    expect(allowServiceToUseKey(key, TopicPublisher.BUDGETS, stack)).toBe(true);
    expect(allowServiceToPublish(topic, TopicPublisher.BUDGETS, stack, 'KeptSid')).toBe(true);
    const template = Template.fromStack(stack);
    const onlyThisAccountsBudgets = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:budgets::${stack.account}:budget/*` },
    };
    const keyStatements = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;
    expect(keyStatements.find((s: { Sid?: string }) => s.Sid === 'AllowBudgetsToPublish')).toEqual({
      Sid: 'AllowBudgetsToPublish', Effect: 'Allow', Principal: { Service: 'budgets.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: stack.resolve(onlyThisAccountsBudgets),
    });
    const topicStatements = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument.Statement;
    expect(topicStatements).toContainEqual(expect.objectContaining({
      Sid: 'KeptSid', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sns:Publish', Condition: stack.resolve(onlyThisAccountsBudgets),
    }));
  });
});
