import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ScheduledWorkflow, ScheduledWorkflowProps } from '../../../lib';
import { createTestStack, expectLeastPrivilegeBedrock, policyStatements, taggableResources, tagValue } from '../../support/test-app';

function scheduledTemplate(props: ScheduledWorkflowProps = {}, stack: Stack = createTestStack()): Template {
  new ScheduledWorkflow(stack, 'Nightly', { tags: { feature: 'digest' }, ...props });
  return Template.fromStack(stack);
}

describe('ScheduledWorkflow', () => {
  test('runs daily at 02:00 UTC by default, with one retry', () => {
    scheduledTemplate().hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  test('uses the given schedule', () => {
    scheduledTemplate({ schedule: events.Schedule.cron({ minute: '30', hour: '4' }) })
      .hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 4 * * ? *)' });
  });

  test('reads the input prefix, lists only under it, and writes only under the results prefix', () => {
    const template = scheduledTemplate({ inputPrefix: 'chats/', resultsPrefix: 'digests/' });
    const s3Statements = policyStatements(template).filter((s) => s.Action.some((a) => a.startsWith('s3:')));
    const list = s3Statements.find((s) => s.Action.includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['chats/*'] } });
    const read = s3Statements.find((s) => s.Action.includes('s3:GetObject'))!;
    expect(JSON.stringify(read.Resource)).toContain('/chats/*');
    const write = s3Statements.find((s) => s.Action.includes('s3:PutObject'))!;
    expect(write.Action).toEqual(['s3:PutObject']);
    expect(JSON.stringify(write.Resource)).toContain('/digests/*');
    expectLeastPrivilegeBedrock(template);
  });

  test('passes buckets and prefixes to a 15-minute handler', () => {
    scheduledTemplate().hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ INPUT_PREFIX: 'records/', RESULTS_PREFIX: 'results/', INPUT_BUCKET: Match.anyValue(), RESULTS_BUCKET: Match.anyValue() }) },
    });
  });

  test('creates hardened input, results and access-log buckets', () => {
    const template = scheduledTemplate();
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.allResourcesProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.anyValue(),
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  test('accepts existing input and results buckets and then creates none', () => {
    const stack = createTestStack();
    const template = scheduledTemplate({
      existingInputBucket: s3.Bucket.fromBucketName(stack, 'In', 'records-bucket'),
      existingResultsBucket: s3.Bucket.fromBucketName(stack, 'Out', 'results-bucket'),
    }, stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ INPUT_BUCKET: 'records-bucket', RESULTS_BUCKET: 'results-bucket' }) } });
  });

  test('every taggable resource carries InferenceType batch and the workflow Feature', () => {
    for (const [, resource] of taggableResources(scheduledTemplate())) {
      expect(tagValue(resource, 'InferenceType')).toBe('batch');
      expect(tagValue(resource, 'Feature')).toBe('digest');
    }
  });

  test('fails when a prefix contains a wildcard or starts with a slash', () => {
    expect(() => scheduledTemplate({ inputPrefix: 'records/*' })).toThrow(/TestStack\/Nightly: inputPrefix is 'records\/\*'\. Fix: use a literal key prefix/);
    expect(() => scheduledTemplate({ resultsPrefix: '/results/' })).toThrow(/TestStack\/Nightly: resultsPrefix is '\/results\/'/);
  });

  test('matches the snapshot', () => {
    expect(scheduledTemplate().toJSON()).toMatchSnapshot();
  });
});
