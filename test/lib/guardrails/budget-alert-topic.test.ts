import { Match, Template } from 'aws-cdk-lib/assertions';
import { BudgetAlertTopic, BudgetAlertTopicProps } from '../../../lib/guardrails/budget-alert-topic';
import { createTestStack } from '../../support/test-app';

function topicOf(props: BudgetAlertTopicProps = {}) {
  const stack = createTestStack();
  const alerts = new BudgetAlertTopic(stack, 'Alerts', props);
  return { stack, alerts, template: Template.fromStack(stack) };
}

// IDs in the shapes Chatbot accepts (GUIDs, and a URL-encoded thread id).
const TENANT = '11111111-2222-3333-4444-555555555555';
const TEAM = '66666666-7777-8888-9999-000000000000';
const CHANNEL = '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2';

const BUDGETS_SOURCE = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::', { Ref: 'AWS::AccountId' }, ':budget/*']] } },
};

describe('BudgetAlertTopic', () => {
  test('encrypts the topic with a rotating customer managed key', () => {
    const { template, stack, alerts } = topicOf();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(alerts.encryptionKey.keyArn) });
  });

  test('the key policy lets Budgets generate data keys for this account\'s budgets only', () => {
    topicOf().template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([{
          Sid: 'AllowBudgetsToPublishEncrypted',
          Effect: 'Allow',
          Principal: { Service: 'budgets.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: BUDGETS_SOURCE,
        }]),
      }),
    });
  });

  test('the topic policy lets Budgets publish for this account\'s budgets only, and refuses requests without TLS', () => {
    const { template, stack, alerts } = topicOf();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowBudgetsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: stack.resolve(alerts.topic.topicArn),
            Condition: BUDGETS_SOURCE,
          },
        ]),
      }),
    });
  });

  test('subscribes the email addresses, and adds no chat channel by default', () => {
    const { template } = topicOf({ emailSubscribers: ['a@example.com', 'b@example.com'] });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'b@example.com' });
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
  });

  test('delivers to Slack and Teams with a guardrail that only reads budgets, never the default AdministratorAccess', () => {
    const { template, stack, alerts } = topicOf({
      slackWorkspaceId: 'T0123', slackChannelId: 'C0456',
      teamsTenantId: TENANT, teamsTeamId: TEAM, teamsChannelId: CHANNEL,
    });
    const topicArn = stack.resolve(alerts.topic.topicArn);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123', SlackChannelId: 'C0456', SnsTopicArns: [topicArn], GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('^AlertsChatGuardrail') }],
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      TeamsTenantId: TENANT, TeamId: TEAM, TeamsChannelId: CHANNEL, SnsTopicArns: [topicArn], GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('^AlertsChatGuardrail') }],
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Effect: 'Allow', Action: 'budgets:ViewBudget' })] }),
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/AdministratorAccess/);
  });

  test('fails when an email address is malformed or a chat channel is half configured', () => {
    expect(() => topicOf({ emailSubscribers: ['finops'] })).toThrow(/TestStack\/Alerts: emailSubscribers\[0\] is "finops", which is not an email address\. Fix:/);
    expect(() => topicOf({ slackChannelId: 'C1' })).toThrow(/Slack delivery needs both slackWorkspaceId and slackChannelId; got only slackChannelId/);
    expect(() => topicOf({ teamsTenantId: 't', teamsTeamId: 'x' })).toThrow(/Microsoft Teams delivery needs teamsTenantId, teamsTeamId and teamsChannelId; got 2 of 3/);
  });

  test('matches the snapshot', () => {
    expect(topicOf({ emailSubscribers: ['finops@example.com'], slackWorkspaceId: 'T0123', slackChannelId: 'C0456' }).template.toJSON()).toMatchSnapshot();
  });
});
