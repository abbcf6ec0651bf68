import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DocumentWorkflow, DocumentWorkflowProps, GenAiTags } from '../../../lib';
import { createTestStack, expectLeastPrivilegeBedrock, policyStatements, taggableResources, tagKeys, tagValue } from '../../support/test-app';

function documentTemplate(props: DocumentWorkflowProps = {}, stack: Stack = createTestStack()): Template {
  new DocumentWorkflow(stack, 'Docs', { tags: { feature: 'contract-review' }, ...props });
  return Template.fromStack(stack);
}

describe('DocumentWorkflow', () => {
  test('creates an encrypted, TLS-only, versioned, private bucket that sends events to EventBridge', () => {
    const template = documentTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    // No bucket-notifications custom resource: the setting is native CloudFormation.
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('keeps old versions 30 days and access logs 90 days, so storage does not grow without bound', () => {
    const template = documentTemplate();
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: Match.anyValue(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpirationInDays: Match.absent() })] },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: Match.absent(),
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });

  test('matches object-created events of its bucket, filtered by prefix and suffix', () => {
    documentTemplate({ prefix: 'incoming/', suffix: '.txt' }).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^DocsBucket') }] }, object: { key: [{ wildcard: 'incoming/*.txt' }] } },
      },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 } })],
    });
  });

  test('uses a prefix-only or suffix-only matcher when only one is given', () => {
    documentTemplate({ prefix: 'in/' }).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ prefix: 'in/' }] } }) }),
    });
    documentTemplate({ suffix: '.md' }).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ suffix: '.md' }] } }) }),
    });
  });

  test('results go to an on-demand table keyed by object key and version, with point-in-time recovery', () => {
    documentTemplate().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'objectKey', KeyType: 'HASH' }, { AttributeName: 'versionId', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('the handler reads objects under the prefix only and invokes through the profile only', () => {
    const template = documentTemplate({ prefix: 'incoming/' });
    const s3Statements = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    expect(s3Statements).toHaveLength(1);
    expect(s3Statements[0].Action.sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(JSON.stringify(s3Statements[0].Resource)).toContain('/incoming/*');
    expectLeastPrivilegeBedrock(template);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 300, Environment: { Variables: Match.objectLike({ RESULTS_TABLE: Match.anyValue() }) } });
  });

  test('grants the handler on the results table only the writes its claims make', () => {
    const template = documentTemplate();
    const dynamoDbStatements = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamoDbStatements).toHaveLength(1);
    expect(dynamoDbStatements[0].Action.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(dynamoDbStatements[0].Resource).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^DocsResults/), 'Arn'] }]);
  });

  test('grants encrypt and decrypt on the customer managed key of an existing results table', () => {
    const stack = createTestStack();
    const encryptionKey = kms.Key.fromKeyArn(stack, 'ResultsKey', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const table = dynamodb.Table.fromTableAttributes(stack, 'ExistingTable', { tableName: 'existing-results', encryptionKey });
    const kmsStatements = policyStatements(documentTemplate({ existingResultsTable: table }, stack)).filter((s) => s.Action.some((a) => a.startsWith('kms:')));
    expect(kmsStatements).toHaveLength(1);
    expect(kmsStatements[0].Action.sort()).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']);
    expect(kmsStatements[0].Resource).toEqual([encryptionKey.keyArn]);
  });

  test('gives the handler a claim stale window of its timeout plus a minute', () => {
    documentTemplate().hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300, Environment: { Variables: Match.objectLike({ CLAIM_STALE_SECONDS: '360' }) },
    });
    documentTemplate({ timeout: Duration.minutes(10) }).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 600, Environment: { Variables: Match.objectLike({ CLAIM_STALE_SECONDS: '660' }) },
    });
  });

  test('accepts an existing bucket and results table', () => {
    const stack = createTestStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-documents');
    const table = dynamodb.Table.fromTableName(stack, 'ExistingTable', 'existing-results');
    const template = documentTemplate({ existingBucket: bucket, existingResultsTable: table }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { bucket: { name: ['existing-documents'] } } }) });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RESULTS_TABLE: 'existing-results' }) } });
  });

  test('warns, without failing, that an imported bucket must send events to EventBridge', () => {
    const stack = createTestStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'existing-documents');
    documentTemplate({ existingBucket: bucket }, stack);
    Annotations.fromStack(stack).hasWarning('/TestStack/Docs', Match.stringLikeRegexp("existingBucket 'TestStack/Existing' is imported.*Amazon EventBridge.*genai-finops:bucket-eventbridge"));
    Annotations.fromStack(stack).hasNoInfo('*', Match.anyValue());
  });

  test('fails when an existing bucket of the app does not send events to EventBridge, naming it and the fix', () => {
    const stack = createTestStack();
    const bucket = new s3.Bucket(stack, 'Uploads', { enforceSSL: true, serverAccessLogsPrefix: 'logs/' });
    expect(() => documentTemplate({ existingBucket: bucket }, stack))
      .toThrow(/TestStack\/Docs: existingBucket 'TestStack\/Uploads' does not send events to Amazon EventBridge.*Fix: create it with `eventBridgeEnabled: true`/);
  });

  test('accepts an existing bucket of the app with eventBridgeEnabled, with no warning or info', () => {
    const stack = createTestStack();
    const bucket = new s3.Bucket(stack, 'Uploads', { enforceSSL: true, serverAccessLogsPrefix: 'logs/', eventBridgeEnabled: true });
    GenAiTags.apply(bucket, { feature: 'contract-review' });
    Validations.of(stack.node.findChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "aws-cdk-lib's own bucket-notifications handler, added by the app's bucket (eventBridgeEnabled), not by this library.",
    });
    documentTemplate({ existingBucket: bucket }, stack);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('EventBridge'));
    Annotations.fromStack(stack).hasNoInfo('*', Match.anyValue());
  });

  test('accepts an existing bucket whose CfnBucket turns EventBridge on, even after the workflow is built', () => {
    const workflowStack = createTestStack();
    const ownBucket = new s3.Bucket(workflowStack, 'Uploads', { enforceSSL: true, serverAccessLogsPrefix: 'logs/' });
    new DocumentWorkflow(workflowStack, 'Docs', { tags: { feature: 'contract-review' }, existingBucket: ownBucket });
    (ownBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    expect(() => Template.fromStack(workflowStack)).not.toThrow();
  });

  test('every taggable resource carries the required GenAI tags and InferenceType async', () => {
    for (const [, resource] of taggableResources(documentTemplate())) {
      expect(tagKeys(resource)).toEqual(expect.arrayContaining(['Environment', 'Application', 'Feature', 'Team', 'CostCenter']));
      expect(tagValue(resource, 'InferenceType')).toBe('async');
    }
  });

  test('fails when the prefix contains a wildcard', () => {
    expect(() => documentTemplate({ prefix: 'in/*' })).toThrow(/TestStack\/Docs: prefix is 'in\/\*'\. Fix: give a literal key prefix without '\*'/);
  });

  test('fails when the suffix is empty', () => {
    expect(() => documentTemplate({ suffix: '' })).toThrow(/TestStack\/Docs: suffix is ''\. Fix/);
  });

  test('matches the snapshot', () => {
    expect(documentTemplate({ prefix: 'incoming/', suffix: '.txt' }).toJSON()).toMatchSnapshot();
  });
});
