import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GenAiTagPolicy } from '../../../lib';
import { BedrockInvocationLogging, BedrockInvocationLoggingProps } from '../../../lib/observability';
import { createTestApp, createTestStack, policyStatements, tagValue } from '../../support/test-app';

function loggingOf(props: BedrockInvocationLoggingProps = {}, stack: Stack = createTestStack()) {
  const logging = new BedrockInvocationLogging(stack, 'InvocationLogging', props);
  return { stack, logging, template: Template.fromStack(stack) };
}

/** The SDK calls of the Custom::AWS resource, parsed from its Create/Update/Delete JSON. */
function sdkCalls(template: Template): { create: any; update: any; delete: any } {
  const [resource] = Object.values(template.findResources('Custom::AWS')) as any[];
  expect(resource).toBeDefined();
  const parse = (key: string) => {
    const value = resource.Properties[key];
    if (value === undefined) return undefined;
    return JSON.parse(typeof value === 'string' ? value : flatten(value));
  };
  return { create: parse('Create'), update: parse('Update'), delete: parse('Delete') };
}

// Fn::Join of the custom resource's JSON, with each reference written as ${LogicalId} / ${LogicalId.Attribute}.
function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(flatten).join(value['Fn::Join'][0]);
  if (value['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  if (value.Ref) return `\${${value.Ref}}`;
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}

function logicalIdOf(template: Template, type: string, prefix: string): string {
  const id = Object.keys(template.findResources(type)).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no ${type} starting with ${prefix}`);
  return id;
}

const BEDROCK_CONDITIONS = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] } },
};

describe('BedrockInvocationLogging', () => {
  test('puts the logging configuration on create and update: the log group, the role, the large-data bucket, text only', () => {
    const { template } = loggingOf();
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'InvocationLoggingRole');
    const bucket = logicalIdOf(template, 'AWS::S3::Bucket', 'InvocationLoggingBucket');
    const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', 'InvocationLoggingLogGroup');

    const { create, update } = sdkCalls(template);

    expect(create).toEqual({
      service: '@aws-sdk/client-bedrock',
      action: 'PutModelInvocationLoggingConfiguration',
      parameters: {
        loggingConfig: {
          cloudWatchConfig: {
            logGroupName: `\${${logGroup}}`,
            roleArn: `\${${role}.Arn}`,
            largeDataDeliveryS3Config: { bucketName: `\${${bucket}}`, keyPrefix: 'bedrock-invocation-logs' },
          },
          textDataDeliveryEnabled: true,
          imageDataDeliveryEnabled: false,
          embeddingDataDeliveryEnabled: false,
          videoDataDeliveryEnabled: false,
        },
      },
      physicalResourceId: { id: 'bedrock-model-invocation-logging-${AWS::Region}' },
    });
    expect(update).toEqual(create);
  });

  test('deletes the logging configuration when the stack is deleted', () => {
    const { template } = loggingOf();
    expect(sdkCalls(template).delete).toEqual({ service: '@aws-sdk/client-bedrock', action: 'DeleteModelInvocationLoggingConfiguration' });
  });

  test('takes the data delivery toggles and the key prefix as props', () => {
    const { template } = loggingOf({
      textDataDeliveryEnabled: false, imageDataDeliveryEnabled: true, embeddingDataDeliveryEnabled: true, videoDataDeliveryEnabled: true,
      largeDataKeyPrefix: 'bodies',
    });
    const { loggingConfig } = sdkCalls(template).create.parameters;
    expect(loggingConfig).toMatchObject({
      textDataDeliveryEnabled: false, imageDataDeliveryEnabled: true, embeddingDataDeliveryEnabled: true, videoDataDeliveryEnabled: true,
    });
    expect(loggingConfig.cloudWatchConfig.largeDataDeliveryS3Config.keyPrefix).toBe('bodies');
  });

  test('waits for the role, its policy, the log group and the bucket policy before putting the setting', () => {
    const { template } = loggingOf();
    const [resource] = Object.values(template.findResources('Custom::AWS')) as any[];
    expect(resource.DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^InvocationLoggingRole[0-9A-F]{8}$/),
      expect.stringMatching(/^InvocationLoggingRoleDefaultPolicy/),
      expect.stringMatching(/^InvocationLoggingLogGroup/),
      expect.stringMatching(/^InvocationLoggingBucketPolicy/),
    ]));
  });

  test('keeps the logs one month by default, with the retention as a prop', () => {
    loggingOf().template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/genai-finops/bedrock/model-invocations', RetentionInDays: 30, KmsKeyId: Match.absent(),
    });
    loggingOf({ retention: logs.RetentionDays.ONE_WEEK, logGroupName: '/my/invocations' }).template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/my/invocations', RetentionInDays: 7,
    });
  });

  test('encrypts the log group with a key it is given and lets CloudWatch Logs use the key for that log group only', () => {
    const stack = createTestStack();
    const key = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
    const { template } = loggingOf({ encryptionKey: key }, stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchLogsForBedrockInvocationLogs',
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          Condition: {
            ArnEquals: {
              'kms:EncryptionContext:aws:logs:arn': {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:/genai-finops/bedrock/model-invocations']],
              },
            },
          },
        })]),
      },
    });
  });

  test('the role trusts only Bedrock acting for this account and Region, and writes only to the log group', () => {
    const { template } = loggingOf();
    const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', 'InvocationLoggingLogGroup');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'bedrock.amazonaws.com' }, Condition: BEDROCK_CONDITIONS,
        }],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^InvocationLoggingRoleDefaultPolicy'),
      PolicyDocument: {
        Statement: [{
          Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        }],
      },
    });
  });

  test('the bucket policy lets Bedrock put objects under the prefix only, for this account and Region', () => {
    const { template } = loggingOf();
    const bucket = logicalIdOf(template, 'AWS::S3::Bucket', 'InvocationLoggingBucket');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowBedrockInvocationLogsWrite', Effect: 'Allow', Action: 's3:PutObject',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/bedrock-invocation-logs/*']] },
            Condition: BEDROCK_CONDITIONS,
          },
        ]),
      },
    });
  });

  test('the large bodies bucket is encrypted, logged, and its objects expire after 30 days by default', () => {
    const { template } = loggingOf();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^InvocationLoggingAccessLogs') } },
      LifecycleConfiguration: { Rules: Match.arrayWith([{ Id: 'ExpireInvocationBodies', Status: 'Enabled', ExpirationInDays: 30 }]) },
    });
    loggingOf({ largeDataExpiration: Duration.days(7) }).template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([{ Id: 'ExpireInvocationBodies', Status: 'Enabled', ExpirationInDays: 7 }]) },
    });
  });

  test('writes to a bucket it is given, and warns when that bucket\'s policy cannot be extended', () => {
    const stack = createTestStack();
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'my-bodies');
    const { template, logging } = loggingOf({ existingBucket: imported }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(logging.bucket).toBe(imported);
    Annotations.fromStack(stack).hasWarning('/TestStack/InvocationLogging', Match.stringLikeRegexp('allow bedrock.amazonaws.com to s3:PutObject'));
  });

  test('the custom resource may put and delete the setting and pass the logging role to Bedrock, nothing more', () => {
    const { template } = loggingOf();
    const role = logicalIdOf(template, 'AWS::IAM::Role', 'InvocationLoggingRole');
    const providerLogs = logicalIdOf(template, 'AWS::Logs::LogGroup', 'InvocationLoggingProviderLogGroup');
    const invocationLogs = logicalIdOf(template, 'AWS::Logs::LogGroup', 'InvocationLoggingLogGroup');
    expect(policyStatements(template)).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: ['bedrock:PutModelInvocationLoggingConfiguration', 'bedrock:DeleteModelInvocationLoggingConfiguration'], Resource: ['*'] },
      { Effect: 'Allow', Action: ['iam:PassRole'], Resource: [{ 'Fn::GetAtt': [role, 'Arn'] }], Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } } },
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [providerLogs, 'Arn'] }] },
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [invocationLogs, 'Arn'] }] },
    ]));
    expect(policyStatements(template)).toHaveLength(4);
    // Its own role, without AWSLambdaBasicExecutionRole.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^InvocationLoggingProviderRole'), 'Arn'] } });
  });

  test('the custom resource\'s function logs to a log group with retention', () => {
    const { template } = loggingOf();
    const providerLogs = logicalIdOf(template, 'AWS::Logs::LogGroup', 'InvocationLoggingProviderLogGroup');
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: providerLogs } } });
  });

  test('its resources and the CDK provider function carry the Feature tag, under an enforced tag policy', () => {
    const app = createTestApp();
    GenAiTagPolicy.enforce(app);
    const { template } = loggingOf({}, new Stack(app, 'TestStack'));
    const role = template.findResources('AWS::IAM::Role')[logicalIdOf(template, 'AWS::IAM::Role', 'InvocationLoggingRole')];
    expect(tagValue(role, 'Feature')).toBe('invocation-logging');
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(tagValue(fn, 'Feature')).toBe('invocation-logging');
    expect(tagValue(fn, 'Application')).toBe('test-app');
  });

  test('takes a Feature of its own', () => {
    const { template } = loggingOf({ feature: 'compliance' });
    const role = template.findResources('AWS::IAM::Role')[logicalIdOf(template, 'AWS::IAM::Role', 'InvocationLoggingRole')];
    expect(tagValue(role, 'Feature')).toBe('compliance');
  });

  test('fails when a second instance is declared in the same stack', () => {
    const { stack } = loggingOf();
    expect(() => new BedrockInvocationLogging(stack, 'Again')).toThrow(
      /TestStack\/Again: stack 'TestStack' already has a BedrockInvocationLogging at 'TestStack\/InvocationLogging'\. Model invocation logging is one setting per account and Region.*Fix: keep one/,
    );
  });

  test('fails when the retention is not a RetentionDays value', () => {
    expect(() => loggingOf({ retention: 45 as logs.RetentionDays })).toThrow(
      /TestStack\/InvocationLogging: retention is 45, which is not a CloudWatch Logs retention\. Fix: use a logs\.RetentionDays value/,
    );
  });

  test('fails when the large bodies expiration or key prefix is unusable', () => {
    expect(() => loggingOf({ largeDataExpiration: Duration.hours(12) })).toThrow(/largeDataExpiration is 12 hours\. Fix: use a whole number of days/);
    expect(() => loggingOf({ largeDataKeyPrefix: 'bodies/' })).toThrow(/largeDataKeyPrefix is 'bodies\/'\. Fix: use a non-empty prefix/);
  });

  test('matches the snapshot', () => {
    expect(loggingOf().template.toJSON()).toMatchSnapshot();
  });
});
