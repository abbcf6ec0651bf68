import { EVALUATION_ENVIRONMENT, TemplateError, TemplateResolver, templateResolver } from '../../../lib/finops-checks/template-resolver';
import { asTemplate, LOCAL_ACCOUNT, LOCAL_REGION, TemplateResolver as LocalTemplateResolver } from '../../../packages/local/src/template';

// One template, resolved by the policy evaluation (lenient, example account) and the local tools (strict, local account).
const TEMPLATE = asTemplate({
  Parameters: { NoDefault: { Type: 'String' } },
  Conditions: { InChina: { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] } },
  Resources: {
    Orders: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    Alerts: { Type: 'AWS::SNS::Topic' },
    Inbox: { Type: 'AWS::S3::Bucket' },
    Role1: { Type: 'AWS::IAM::Role' },
    Guardrail: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: 'guardrail' } },
    Spend: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmName: 'spend' } },
    Monthly: { Type: 'AWS::Budgets::Budget', Properties: { Budget: { BudgetName: { 'Fn::Sub': '${AWS::StackName}-monthly' } } } },
    Anomalies: { Type: 'AWS::CE::AnomalySubscription' },
    Monitor: { Type: 'AWS::CE::AnomalyMonitor' },
    Curated: { Type: 'AWS::BCMDataExports::Export', Properties: { Export: { Name: 'cur' } } },
  },
}, 'test template');

const ARNS = [
  { 'Fn::GetAtt': ['Orders', 'Arn'] }, { Ref: 'Alerts' }, { 'Fn::GetAtt': ['Inbox', 'Arn'] }, { 'Fn::GetAtt': ['Role1', 'Arn'] },
  { Ref: 'Guardrail' }, { 'Fn::GetAtt': ['Spend', 'Arn'] }, { Ref: 'Anomalies' }, { Ref: 'Monitor' }, { Ref: 'Curated' },
];

describe('the one template resolver', () => {
  test('the local defaults and the evaluation defaults give the same ARNs but for the account', () => {
    const arns = (account: string, region: string) => [
      `arn:aws:dynamodb:${region}:${account}:table/orders`,
      `arn:aws:sns:${region}:${account}:Alerts`,
      'arn:aws:s3:::inbox',
      `arn:aws:iam::${account}:role/Role1`,
      `arn:aws:iam::${account}:policy/guardrail`,
      `arn:aws:cloudwatch:${region}:${account}:alarm:spend`,
      // Cost Explorer is global (no Region); data exports live in us-east-1.
      `arn:aws:ce::${account}:anomalysubscription/Anomalies`,
      `arn:aws:ce::${account}:anomalymonitor/Monitor`,
      `arn:aws:bcm-data-exports:us-east-1:${account}:export/cur`,
    ];
    expect(templateResolver(TEMPLATE).resolve(ARNS)).toEqual(arns('123456789012', 'us-east-1'));
    expect(new LocalTemplateResolver(TEMPLATE).resolve(ARNS)).toEqual(arns(LOCAL_ACCOUNT, LOCAL_REGION));
    expect(EVALUATION_ENVIRONMENT.account).not.toBe(LOCAL_ACCOUNT);
  });

  test('the partition, Region and stack name are options; a data export stays in us-east-1', () => {
    const r = new TemplateResolver(TEMPLATE, { account: '210987654321', region: 'cn-north-1', partition: 'aws-cn', stackName: 'Chat' });
    expect(r.env).toEqual({ account: '210987654321', region: 'cn-north-1', partition: 'aws-cn' });
    expect(r.resolve({ 'Fn::GetAtt': ['Role1', 'Arn'] })).toBe('arn:aws-cn:iam::210987654321:role/Role1');
    expect(r.resolve({ Ref: 'Alerts' })).toBe('arn:aws-cn:sns:cn-north-1:210987654321:Alerts');
    expect(r.resolve({ Ref: 'Curated' })).toBe('arn:aws-cn:bcm-data-exports:us-east-1:210987654321:export/cur');
    expect(r.resolve({ Ref: 'AWS::StackId' })).toBe('arn:aws-cn:cloudformation:cn-north-1:210987654321:stack/Chat/id');
    expect(r.resolve({ 'Fn::If': ['InChina', 'yes', 'no'] })).toBe('yes');
    expect(r.refOf('Monthly')).toBe('Chat-monthly');
  });

  test('a role id is not the role name', () => {
    expect(templateResolver(TEMPLATE).refOf('Role1', 'RoleId')).toBe('AROARole1');
    expect(new LocalTemplateResolver(TEMPLATE).resolve({ 'Fn::GetAtt': ['Role1', 'RoleId'] })).toBe('AROARole1');
  });

  test('lenient (the evaluation) stands in for what strict (the local tools) refuses', () => {
    const unresolvable = [
      { value: { Ref: 'Missing' }, standIn: 'Missing', error: /no resource Missing/ },
      { value: { Ref: 'NoDefault' }, standIn: 'NoDefault', error: /parameter NoDefault has no default/ },
      { value: { 'Fn::ImportValue': 'Shared-Arn' }, standIn: { 'Fn::ImportValue': 'Shared-Arn' }, error: /Fn::ImportValue/ },
      { value: { 'Fn::If': ['Undeclared', 'a', 'b'] }, standIn: 'b', error: /no condition Undeclared/ },
      { value: { 'Fn::Select': [3, ['a']] }, standIn: undefined, error: /Fn::Select index 3/ },
    ];
    const lenient = templateResolver(TEMPLATE);
    const strict = new TemplateResolver(TEMPLATE, { strict: true });
    for (const { value, standIn, error } of unresolvable) {
      expect(lenient.resolve(value)).toEqual(standIn);
      expect(() => strict.resolve(value)).toThrow(TemplateError);
      expect(() => strict.resolve(value)).toThrow(error);
    }
  });

  test('an object is resolved once, and a second resolution still reports the resources it refers to', () => {
    const r = new LocalTemplateResolver(TEMPLATE);
    const policy = { Statement: [{ Resource: { 'Fn::GetAtt': ['Orders', 'Arn'] } }, { Resource: { Ref: 'Alerts' } }] };
    const first = r.tracking(() => r.resolve(policy));
    const second = r.tracking(() => r.resolve(policy));
    expect(second.result).toBe(first.result);
    expect(first.referenced).toEqual(['Orders', 'Alerts']);
    expect(second.referenced).toEqual(['Orders', 'Alerts']);
  });

  test('a name that refers to itself is refused by strict, and the logical id for lenient', () => {
    const selfNamed = asTemplate({ Resources: { Loop: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::GetAtt': ['Loop', 'QueueName'] } } } } }, 'loop');
    expect(templateResolver(selfNamed).refOf('Loop', 'QueueName')).toBe('Loop');
    expect(() => new LocalTemplateResolver(selfNamed).resolve({ Ref: 'Loop' })).toThrow(/the name of Loop refers to itself/);
  });
});
