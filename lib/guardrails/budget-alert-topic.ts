import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { allowServiceToPublish, allowServiceToUseKey, TopicPublisher } from '../private/encrypted-topic';
import { accountBudgetsArn } from './budgets-source';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link BudgetAlertTopic}. */
export interface BudgetAlertTopicProps {
  /**
   * Email addresses subscribed to the topic (each confirms once, from the email SNS sends).
   * @default - no email subscription; subscribe what you need to `topic`
   */
  readonly emailSubscribers?: string[];
  /**
   * The Slack workspace (team) ID authorised in AWS Chatbot, e.g. `T0123ABCD`. Set with `slackChannelId`.
   * @default - no Slack delivery
   */
  readonly slackWorkspaceId?: string;
  /**
   * The Slack channel ID, e.g. `C0123ABCD`. Set with `slackWorkspaceId`.
   * @default - no Slack delivery
   */
  readonly slackChannelId?: string;
  /**
   * The Microsoft Teams tenant ID authorised in AWS Chatbot. Set with `teamsTeamId` and `teamsChannelId`.
   * @default - no Microsoft Teams delivery
   */
  readonly teamsTenantId?: string;
  /**
   * The Microsoft Teams team ID. Set with `teamsTenantId` and `teamsChannelId`.
   * @default - no Microsoft Teams delivery
   */
  readonly teamsTeamId?: string;
  /**
   * The Microsoft Teams channel ID. Set with `teamsTenantId` and `teamsTeamId`.
   * @default - no Microsoft Teams delivery
   */
  readonly teamsChannelId?: string;
}

/**
 * An SNS topic AWS Budgets may publish to, encrypted with its own customer managed KMS key.
 *
 * The topic policy lets `budgets.amazonaws.com` publish only on behalf of this account's budgets
 * (`aws:SourceAccount` and `aws:SourceArn` `arn:<partition>:budgets::<account>:budget/*`, the value the Cost
 * Management confused-deputy guidance prescribes) and refuses any request without TLS; the key policy lets
 * Budgets use the key for that publishing only. Email, Slack and Microsoft Teams (through AWS Chatbot, with a
 * guardrail that allows nothing but reading budgets) are optional subscribers; the circuit breaker subscribes
 * itself to `topic`.
 */
export class BudgetAlertTopic extends Construct {
  /** The topic budgets notify. */
  public readonly topic: sns.Topic;
  /** The customer managed key encrypting the topic. */
  public readonly encryptionKey: kms.Key;
  /** The Slack channel configuration, when Slack delivery is configured. */
  public readonly slackChannel?: chatbot.SlackChannelConfiguration;
  /** The Microsoft Teams channel configuration, when Teams delivery is configured. */
  public readonly teamsChannel?: chatbot.CfnMicrosoftTeamsChannelConfiguration;

  constructor(scope: Construct, id: string, props: BudgetAlertTopicProps = {}) {
    super(scope, id);
    checkProps(this, 'BudgetAlertTopicProps', props, BUDGET_ALERT_TOPIC_PROP_KINDS);
    validateTopicProps(this, props);

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Encrypts the budget alerts of ${this.node.path}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // SNS asks KMS for a data key on the publisher's behalf, so the publisher (Budgets) needs the key. (The Sid
    // deployed stacks already carry.)
    allowServiceToUseKey(this.encryptionKey, TopicPublisher.BUDGETS, this, 'AllowBudgetsToPublishEncrypted');

    this.topic = new sns.Topic(this, 'Resource', {
      displayName: 'GenAI budget alerts',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    allowServiceToPublish(this.topic, TopicPublisher.BUDGETS, this);

    for (const email of props.emailSubscribers ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const guardrail = props.slackChannelId || props.teamsChannelId ? this.chatGuardrail() : undefined;
    if (props.slackWorkspaceId && props.slackChannelId && guardrail) {
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: chatConfigurationName(this, 'slack'),
        slackWorkspaceId: props.slackWorkspaceId,
        slackChannelId: props.slackChannelId,
        notificationTopics: [this.topic],
        guardrailPolicies: [guardrail],
        loggingLevel: chatbot.LoggingLevel.ERROR,
      });
    }
    if (props.teamsTenantId && props.teamsTeamId && props.teamsChannelId && guardrail) {
      // Chatbot only relays the notifications; its role needs no permission of its own.
      const role = new iam.Role(this, 'TeamsRole', { assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com') });
      this.teamsChannel = new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: chatConfigurationName(this, 'teams'),
        iamRoleArn: role.roleArn,
        teamsTenantId: props.teamsTenantId,
        teamId: props.teamsTeamId,
        teamsChannelId: props.teamsChannelId,
        snsTopicArns: [this.topic.topicArn],
        guardrailPolicies: [guardrail.managedPolicyArn],
        loggingLevel: 'ERROR',
      });
    }
  }

  // Without guardrails Chatbot applies AdministratorAccess to the channel; this one allows reading budgets only.
  private chatGuardrail(): iam.ManagedPolicy {
    const stack = Stack.of(this);
    const budgetsOfAccount = accountBudgetsArn(stack);
    const guardrail = new iam.ManagedPolicy(this, 'ChatGuardrail', {
      description: 'Chat channels of the GenAI budget alerts may read budgets and nothing else.',
      statements: [new iam.PolicyStatement({ actions: ['budgets:ViewBudget'], resources: [budgetsOfAccount] })],
    });
    acknowledgeWildcardResource(guardrail, budgetsOfAccount,
      'A chat guardrail is a ceiling, not a grant: it caps channel members at reading this account\'s budgets (any of them may alert the channel), instead of the AdministratorAccess Chatbot applies without one.');
    return guardrail;
  }
}

// Chatbot configuration names: 1 to 128 letters, digits, - and _, unique in the account.
function chatConfigurationName(scope: Construct, kind: string): string {
  return `${kind}-${scope.node.addr}`.slice(0, 128);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validateTopicProps(scope: Construct, props: BudgetAlertTopicProps): void {
  const where = scope.node.path;
  (props.emailSubscribers ?? []).forEach((email, i) => {
    if (!Token.isUnresolved(email) && !EMAIL.test(email)) {
      throw new Error(`${where}: emailSubscribers[${i}] is ${JSON.stringify(email)}, which is not an email address. Fix: use an address such as finops@example.com.`);
    }
  });
  if (Boolean(props.slackWorkspaceId) !== Boolean(props.slackChannelId)) {
    throw new Error(`${where}: Slack delivery needs both slackWorkspaceId and slackChannelId; got ${props.slackWorkspaceId ? 'only slackWorkspaceId' : 'only slackChannelId'}. Fix: set both (from the AWS Chatbot console), or neither.`);
  }
  const teams = [props.teamsTenantId, props.teamsTeamId, props.teamsChannelId].filter(Boolean).length;
  if (teams !== 0 && teams !== 3) {
    throw new Error(`${where}: Microsoft Teams delivery needs teamsTenantId, teamsTeamId and teamsChannelId; got ${teams} of 3. Fix: set all three (from the AWS Chatbot console), or none.`);
  }
}

// The known keys of BudgetAlertTopicProps and what each holds (lib/private/prop-check.ts).
export const BUDGET_ALERT_TOPIC_PROP_KINDS = {
  emailSubscribers: 'string[]',
  slackWorkspaceId: 'string',
  slackChannelId: 'string',
  teamsTenantId: 'string',
  teamsTeamId: 'string',
  teamsChannelId: 'string',
} as const satisfies PropKinds<BudgetAlertTopicProps>;
