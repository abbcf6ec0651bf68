import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { fromAccountBudgets } from '../guardrails/budgets-source';

/**
 * A KMS key for notification topics. SNS's AWS managed key (alias/aws/sns) cannot be used by CloudWatch alarms or
 * Cost Anomaly Detection: its policy cannot be edited to let them encrypt messages, so a customer managed key is
 * created, with rotation, and the publishing service is allowed to use it for this account only.
 */
export function topicKey(scope: Construct, id: string, description: string): kms.Key {
  return new kms.Key(scope, id, { enableKeyRotation: true, description });
}

/**
 * The publishers of the library's topics, and the confused-deputy condition each one's requests carry: the account
 * (`aws:SourceAccount`) and the ARN pattern of the resources of this account that may make the service publish
 * (`aws:SourceArn`), as each service's documentation prescribes.
 */
export enum TopicPublisher {
  /** CloudWatch alarms of this account and Region (`arn:<partition>:cloudwatch:<region>:<account>:alarm:*`). */
  CLOUDWATCH_ALARMS = 'cloudwatch.amazonaws.com',
  /** Cost Anomaly Detection subscriptions of this account (`arn:<partition>:ce::<account>:anomalysubscription/*`). */
  COST_ANOMALY_DETECTION = 'costalerts.amazonaws.com',
  /** AWS Budgets, for the budgets of this account (`arn:<partition>:budgets::<account>:budget/*`). */
  BUDGETS = 'budgets.amazonaws.com',
}

const PUBLISHER_SIDS: Record<TopicPublisher, string> = {
  [TopicPublisher.CLOUDWATCH_ALARMS]: 'AllowCloudWatchAlarmsToPublish',
  [TopicPublisher.COST_ANOMALY_DETECTION]: 'AllowCostAnomalyDetectionToPublish',
  [TopicPublisher.BUDGETS]: 'AllowBudgetsToPublish',
};

/** The `aws:SourceAccount` and `aws:SourceArn` condition that lets `publisher` act only for this account's resources. */
export function publisherConditions(scope: Construct, publisher: TopicPublisher): Record<string, Record<string, string>> {
  const stack = Stack.of(scope);
  if (publisher === TopicPublisher.BUDGETS) return fromAccountBudgets(stack);
  const sourceArn = publisher === TopicPublisher.CLOUDWATCH_ALARMS
    ? `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`
    : `arn:${stack.partition}:ce::${stack.account}:anomalysubscription/*`;
  return { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': sourceArn } };
}

/**
 * Let a service principal encrypt messages it publishes to topics under this key, for this account's own resources
 * (SNS asks KMS for a data key on the publisher's behalf, so the publisher needs the key). `sid` names the
 * statement where a deployed policy already names it otherwise.
 */
export function allowServiceToUseKey(key: kms.IKey, publisher: TopicPublisher, scope: Construct, sid = PUBLISHER_SIDS[publisher]): boolean {
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal(publisher)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: keyConditions(scope, publisher),
  // An imported key's policy cannot be changed here: report it (the callers warn) rather than fail synthesis.
  }), true).statementAdded;
}

/**
 * The condition on a publisher's key statement. SNS documents `aws:SourceAccount` and `aws:SourceArn` on the key for
 * CloudWatch alarms and AWS Budgets, so both are required there. Cost Anomaly Detection documents its source
 * condition on the topic policy only: whether its KMS requests carry `aws:SourceArn` is not documented, and a key
 * condition they do not meet drops every anomaly alert silently, so its key statement keeps `aws:SourceAccount`
 * alone (the topic policy still requires both).
 */
function keyConditions(scope: Construct, publisher: TopicPublisher): Record<string, Record<string, string>> {
  if (publisher !== TopicPublisher.COST_ANOMALY_DETECTION) return publisherConditions(scope, publisher);
  return { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } };
}

/**
 * Let a service principal publish to the topic, for this account's own resources. Needed on every topic with a
 * policy: `enforceSSL` (or any statement) creates a topic policy, which replaces SNS's default one, so without
 * this statement the service is refused ("not authorized to perform: SNS:Publish" in the alarm history).
 * Returns false when the topic is imported and its policy cannot be changed here. `sid` as for allowServiceToUseKey.
 */
export function allowServiceToPublish(topic: sns.ITopic, publisher: TopicPublisher, scope: Construct, sid = PUBLISHER_SIDS[publisher]): boolean {
  return topic.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal(publisher)],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: publisherConditions(scope, publisher),
  })).statementAdded;
}

/**
 * A topic encrypted with the key, refusing non-TLS publishers and subscribers, that `publisher` may publish to (for
 * this account's resources), with email subscriptions.
 */
export function encryptedTopic(scope: Construct, id: string, key: kms.IKey, publisher: TopicPublisher, displayName: string, emails: string[] = []): sns.Topic {
  const topic = new sns.Topic(scope, id, { masterKey: key, enforceSSL: true, displayName });
  allowServiceToPublish(topic, publisher, scope);
  for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

/** Validates email addresses for subscriptions. */
export function validateEmails(scope: Construct, emails: string[] | undefined): void {
  for (const email of emails ?? []) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new Error(`${scope.node.path}: emailSubscriptions contains '${email}', which is not an email address. Fix: use addresses like 'finops@example.com'.`);
    }
  }
}

/**
 * Lets CloudWatch alarms publish to `topic` (its policy, if any, replaces SNS's default) and, when encrypted, use its
 * key; where this app cannot change them (a topic imported from elsewhere), warns on `scope` with what to add.
 */
export function allowAlarmsOnTopic(scope: Construct, topic: sns.ITopic): void {
  const policyChanged = allowServiceToPublish(topic, TopicPublisher.CLOUDWATCH_ALARMS, scope);
  const keyChanged = !topic.masterKey || allowServiceToUseKey(topic.masterKey, TopicPublisher.CLOUDWATCH_ALARMS, scope);
  if (!policyChanged || !keyChanged) {
    Annotations.of(scope).addWarningV2('genai-finops:alarm-topic-policy',
      `${scope.node.path}: the topic ${topic.node.path} is not managed by this app, so its ${policyChanged ? 'key policy' : 'policy'} cannot be extended. `
      + 'Fix: allow cloudwatch.amazonaws.com to sns:Publish to it (and, if encrypted, to kms:GenerateDataKey* and kms:Decrypt its key), '
      + 'conditioned on aws:SourceAccount and aws:SourceArn arn:<partition>:cloudwatch:<region>:<account>:alarm:*, or the alarms notify nobody.');
  }
}
