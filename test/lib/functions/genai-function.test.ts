import { Duration, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { GenAiFunction, GenAiFunctionProps, GenAiTags } from '../../../lib';
import { createTestStack, policyStatements } from '../../support/test-app';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({})');

function functionStack(props: Partial<GenAiFunctionProps> = {}) {
  const stack = createTestStack();
  const fn = new GenAiFunction(stack, 'Fn', { code: CODE, handler: 'index.handler', ...props });
  GenAiTags.apply(fn, { feature: 'summaries' });
  return { stack, fn };
}

describe('GenAiFunction', () => {
  test('runs on the newest Node.js runtime on arm64 with 256 MB, active tracing and JSON logs', () => {
    const { stack } = functionStack();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' }),
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FnDeadLetterQueue'), 'Arn'] } },
    });
  });

  test('keeps logs for a month by default, or as configured', () => {
    const defaults = Template.fromStack(functionStack().stack);
    defaults.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const custom = Template.fromStack(functionStack({ logRetention: logs.RetentionDays.ONE_WEEK }).stack);
    custom.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('uses a role that may write to its own log group only, with no managed policy', () => {
    const template = Template.fromStack(functionStack().stack);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const logStatement = policyStatements(template).find((s) => s.Action.includes('logs:PutLogEvents'))!;
    expect(logStatement.Resource).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^FnLogGroup/), 'Arn'] }]);
  });

  test('has an encrypted, TLS-only dead-letter queue', () => {
    const template = Template.fromStack(functionStack().stack);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('puts the GenAI tags of its scope, including inherited ones, in GENAI_TAGS', () => {
    const { stack, fn } = functionStack();
    Tags.of(fn).add('Unrelated', 'ignored');
    const fnResource = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as any;
    const variables = fnResource.Properties.Environment.Variables;
    expect(JSON.parse(variables.GENAI_TAGS)).toEqual({
      Environment: 'development', Application: 'test-app', Feature: 'summaries', Team: 'platform', CostCenter: 'r-and-d',
    });
  });

  test('applies memory, timeout and reserved concurrency', () => {
    const { stack } = functionStack({ memorySize: 512, timeout: Duration.minutes(2), reservedConcurrentExecutions: 5 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 120, ReservedConcurrentExecutions: 5 });
  });

  test('fails when memorySize is outside what Lambda accepts', () => {
    expect(() => functionStack({ memorySize: 64 })).toThrow(/TestStack\/Fn: memorySize is 64; Lambda accepts whole MB from 128 to 10240/);
  });

  test('fails when the timeout is over 15 minutes', () => {
    expect(() => functionStack({ timeout: Duration.minutes(20) })).toThrow(/TestStack\/Fn: timeout is 1200 seconds; Lambda allows at most 900/);
  });

  test('fails when reserved concurrency is negative', () => {
    expect(() => functionStack({ reservedConcurrentExecutions: -1 })).toThrow(/reservedConcurrentExecutions is -1/);
  });

  test('matches the snapshot', () => {
    expect(Template.fromStack(functionStack().stack).toJSON()).toMatchSnapshot();
  });
});
