import { asTemplate, LOCAL_ACCOUNT, LOCAL_REGION, TemplateError, TemplateResolver } from '../../../packages/local/src/template';

// A hand-written template with one resource of each kind the resolver names, named and unnamed.
const TEMPLATE = asTemplate({
  Parameters: {
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    Required: { Type: 'String' },
  },
  Conditions: { IsUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } },
  Mappings: { Sizes: { small: { memory: 256 } } },
  Resources: {
    NamedTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    LedgerTable1A2B: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    NamedBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { 'Fn::Join': ['-', ['data', { Ref: 'AWS::AccountId' }]] } } },
    InputBucketDBA0: { Type: 'AWS::S3::Bucket' },
    AlertsTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } },
    UnnamedTopic9F: { Type: 'AWS::SNS::Topic' },
    DeadLetters: { Type: 'AWS::SQS::Queue' },
    HandlerFn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'chat-handler' } },
    ChatProfile86A8: { Type: 'AWS::Bedrock::ApplicationInferenceProfile', Properties: { InferenceProfileName: 'Stack-Chat-Profile' } },
    Role1: { Type: 'AWS::IAM::Role' },
  },
}, 'test template');

const resolver = () => new TemplateResolver(TEMPLATE, { stackName: 'ChatStack' });

describe('TemplateResolver', () => {
  test('a Ref is the physical name the template sets, else the logical id', () => {
    const r = resolver();
    expect(r.resolve({ Ref: 'NamedTable' })).toBe('orders');
    expect(r.resolve({ Ref: 'LedgerTable1A2B' })).toBe('LedgerTable1A2B');
    expect(r.resolve({ Ref: 'HandlerFn' })).toBe('chat-handler');
    expect(r.resolve({ Ref: 'Role1' })).toBe('Role1');
  });

  test('a bucket name is resolved through its own intrinsics; an unnamed bucket is its logical id in lower case, as S3 requires', () => {
    const r = resolver();
    expect(r.resolve({ Ref: 'NamedBucket' })).toBe(`data-${LOCAL_ACCOUNT}`);
    expect(r.resolve({ Ref: 'InputBucketDBA0' })).toBe('inputbucketdba0');
  });

  test('a Ref takes the form CloudFormation returns for the type: a topic\'s ARN, a queue\'s URL', () => {
    const r = resolver();
    expect(r.resolve({ Ref: 'AlertsTopic' })).toBe(`arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alerts`);
    expect(r.resolve({ Ref: 'UnnamedTopic9F' })).toBe(`arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:UnnamedTopic9F`);
    expect(r.resolve({ Ref: 'DeadLetters' })).toBe(`https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/DeadLetters`);
  });

  test('Fn::GetAtt of an ARN attribute is an ARN of the fixed local account and Region', () => {
    const r = resolver();
    expect(r.resolve({ 'Fn::GetAtt': ['NamedTable', 'Arn'] })).toBe('arn:aws:dynamodb:us-east-1:111122223333:table/orders');
    expect(r.resolve({ 'Fn::GetAtt': ['InputBucketDBA0', 'Arn'] })).toBe('arn:aws:s3:::inputbucketdba0');
    expect(r.resolve({ 'Fn::GetAtt': 'HandlerFn.Arn' })).toBe('arn:aws:lambda:us-east-1:111122223333:function:chat-handler');
    expect(r.resolve({ 'Fn::GetAtt': ['Role1', 'Arn'] })).toBe('arn:aws:iam::111122223333:role/Role1');
    expect(r.resolve({ 'Fn::GetAtt': ['ChatProfile86A8', 'InferenceProfileArn'] }))
      .toBe('arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/stackchatprofile');
    expect(r.resolve({ 'Fn::GetAtt': ['NamedTable', 'StreamArn'] })).toBe('arn:aws:dynamodb:us-east-1:111122223333:table/orders/stream/local');
    expect(r.resolve({ 'Fn::GetAtt': ['DeadLetters', 'QueueUrl'] })).toBe('https://sqs.us-east-1.amazonaws.com/111122223333/DeadLetters');
  });

  test('Fn::Join, Fn::Sub (with variables, attributes and escapes), Fn::Select, Fn::Split, pseudo parameters and parameter defaults', () => {
    const r = resolver();
    expect(r.resolve({ 'Fn::Join': ['', ['{"table":"', { Ref: 'NamedTable' }, '"}']] })).toBe('{"table":"orders"}');
    expect(r.resolve({ 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}-${AWS::StackName}' })).toBe('cdk-111122223333-us-east-1-ChatStack');
    expect(r.resolve({ 'Fn::Sub': ['${T}/${HandlerFn.Arn}/${!Literal}', { T: { Ref: 'NamedTable' } }] }))
      .toBe('orders/arn:aws:lambda:us-east-1:111122223333:function:chat-handler/${Literal}');
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
    expect(r.resolve({ Ref: 'BootstrapVersion' })).toBe('/cdk-bootstrap/hnb659fds/version');
    expect(r.resolve({ 'Fn::FindInMap': ['Sizes', 'small', 'memory'] })).toBe(256);
    expect(r.resolve({ 'Fn::If': ['IsUsEast1', 'east', 'elsewhere'] })).toBe('east');
    expect(r.resolve({ A: 1, B: { Ref: 'AWS::NoValue' }, C: [1, { Ref: 'AWS::NoValue' }] })).toEqual({ A: 1, C: [1] });
  });

  test('records every resource a value refers to, so that the caller can create the tables and buckets it names', () => {
    const r = resolver();
    r.resolve({ X: { Ref: 'NamedTable' }, Y: { 'Fn::Sub': 's3://${InputBucketDBA0}/k' }, Z: { 'Fn::GetAtt': ['Role1', 'Arn'] } });
    expect([...r.referenced]).toEqual(['NamedTable', 'InputBucketDBA0', 'Role1']);
  });

  test('fails with a reason on a missing resource, a parameter without default, Fn::ImportValue and an unknown function', () => {
    const r = resolver();
    expect(() => r.resolve({ Ref: 'Nope' })).toThrow(new TemplateError('the template has no resource Nope.'));
    expect(() => r.resolve({ Ref: 'Required' })).toThrow(/parameter Required has no default/);
    expect(() => r.resolve({ 'Fn::ImportValue': 'Shared-TableName' })).toThrow(/exported by another stack/);
    expect(() => r.resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] })).toThrow(/Fn::Cidr is not an intrinsic function/);
  });
});

describe('asTemplate', () => {
  test.each([
    ['an array', [], /holds no JSON object/],
    ['an object without Resources', { AWSTemplateFormatVersion: '2010-09-09' }, /has no "Resources" object/],
    ['a resource without Type', { Resources: { A: { Properties: {} } } }, /resource A has no "Type"/],
    ['an event file', { Records: [{ eventSource: 'aws:s3' }] }, /has no "Resources" object/],
  ])('refuses %s, saying what a template is', (_, value, reason) => {
    expect(() => asTemplate(value, 'e.json')).toThrow(reason);
    expect(() => asTemplate(value, 'e.json')).toThrow(/cdk\.out\/<Stack>\.template\.json/);
  });
});
