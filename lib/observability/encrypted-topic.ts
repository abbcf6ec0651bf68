import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/**
 * A KMS key for notification topics. SNS's AWS managed key (alias/aws/sns) cannot be used by CloudWatch alarms or
 * Cost Anomaly Detection: its policy cannot be edited to let them encrypt messages, so a customer managed key is
 * created, with rotation, and the publishing service is allowed to use it for this account only.
 */
export function topicKey(scope: Construct, id: string, description: string): kms.Key {
  return new kms.Key(scope, id, { enableKeyRotation: true, description });
}

/** Let a service principal encrypt messages it publishes to topics under this key, on behalf of this account. */
export function allowServiceToUseKey(key: kms.IKey, service: string, scope: Construct): boolean {
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid: `Allow${service.split('.')[0]}ToPublish`,
    principals: [new iam.ServicePrincipal(service)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
  }), false).statementAdded;
}

/** A topic encrypted with the key, refusing non-TLS publishers and subscribers, with email subscriptions. */
export function encryptedTopic(scope: Construct, id: string, key: kms.IKey, displayName: string, emails: string[] = []): sns.Topic {
  const topic = new sns.Topic(scope, id, { masterKey: key, enforceSSL: true, displayName });
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
