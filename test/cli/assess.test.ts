import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './run-cli';

const TAGS = [
  { Key: 'Environment', Value: 'production' }, { Key: 'Application', Value: 'support' }, { Key: 'Feature', Value: 'chat' },
  { Key: 'Team', Value: 'support' }, { Key: 'CostCenter', Value: 'ops' },
];

const TLS_ONLY = { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: { Ref: 'Topic' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
const ALARMS_MAY_PUBLISH = {
  Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'Topic' },
  Condition: {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
  },
};

/** Hand-made templates, each adding the controls of one more level. */
const LEVEL_RESOURCES: Record<number, Record<string, unknown>> = {
  1: {
    Profile: { Type: 'AWS::Bedrock::ApplicationInferenceProfile', Properties: { Tags: TAGS } },
    Budget: { Type: 'AWS::Budgets::Budget', Properties: { Budget: { CostFilters: { TagKeyValue: ['user:Application$support'] } } } },
  },
  2: {
    Handler: {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { POWERTOOLS_METRICS_NAMESPACE: 'GenAI/FinOps', GENAI_PIPELINE_CONFIG: '{}' } } },
    },
    Export: { Type: 'AWS::BCMDataExports::Export', Properties: {} },
  },
  3: {
    Handler: {
      Type: 'AWS::Lambda::Function',
      Properties: { TracingConfig: { Mode: 'Active' }, Environment: { Variables: { POWERTOOLS_METRICS_NAMESPACE: 'GenAI/FinOps', GENAI_PIPELINE_CONFIG: '{}' } } },
    },
    WorkGroup: { Type: 'AWS::Athena::WorkGroup', Properties: {} },
    Query: { Type: 'AWS::Athena::NamedQuery', Properties: {} },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: '{"widgets":[{"properties":{"metrics":[["GenAI/FinOps","CostUSD"]]}}]}' } },
  },
  4: {
    Handler: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            POWERTOOLS_METRICS_NAMESPACE: 'GenAI/FinOps',
            GENAI_PIPELINE_CONFIG: JSON.stringify({ tiers: { simple: {}, medium: {} }, responseCache: {}, guards: { usageLimits: [{ scope: 'tenant' }] } }),
          },
        },
      },
    },
    Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'CostUSD', AlarmActions: [{ Ref: 'Topic' }] } },
    // The alarm's signal arrives: the topic lets this account's alarms publish (over TLS) and invokes the breaker.
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: [TLS_ONLY, ALARMS_MAY_PUBLISH] } } },
    Breaker: { Type: 'AWS::Lambda::Function', Properties: {} },
    Subscription: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'lambda', TopicArn: { Ref: 'Topic' }, Endpoint: { 'Fn::GetAtt': ['Breaker', 'Arn'] } } },
    Permission: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['Breaker', 'Arn'] }, Principal: 'sns.amazonaws.com', SourceArn: { Ref: 'Topic' } } },
    Action: { Type: 'AWS::Budgets::BudgetsAction', Properties: {} },
  },
};

function templateAt(level: number, overrides: Record<string, unknown> = {}): string {
  const resources = Object.assign({}, ...Array.from({ length: level }, (_, i) => LEVEL_RESOURCES[i + 1]), overrides);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-assess-'));
  const file = path.join(dir, 'template.json');
  fs.writeFileSync(file, JSON.stringify({ Resources: resources }));
  return file;
}

describe('genai-finops assess', () => {
  test.each([0, 1, 2, 3, 4])('a template with the controls of level %i assesses at that level', async (level) => {
    const run = await runCli(['assess', templateAt(level), '--json']);

    expect(run.code).toBe(0);
    const assessment = JSON.parse(run.stdout);
    expect(assessment.level).toBe(level);
    expect(assessment.controls.filter((c: any) => c.level <= level).every((c: any) => c.present)).toBe(true);
  });

  test.each<[string, Record<string, unknown>]>([
    ['a topic policy that only refuses non-TLS requests (it replaces SNS\'s default: CloudWatch may not publish)',
      { TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: [TLS_ONLY] } } } }],
    ['a topic policy that lets any account\'s alarms publish, but only without TLS',
      { TopicPolicy: { Type: 'AWS::SNS::TopicPolicy', Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: [TLS_ONLY, { ...ALARMS_MAY_PUBLISH, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] } } } }],
    ['a topic key that CloudWatch may not use',
      {
        Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } }, Action: 'kms:*', Resource: '*' }] } } },
      }],
    ['a topic that no function may be invoked by', { Permission: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['Breaker', 'Arn'] }, Principal: 'sns.amazonaws.com', SourceArn: 'arn:aws:sns:us-east-1:123456789012:another-topic' } } }],
    ['a circuit breaker whose configuration maps no alarm', { Breaker: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { GENAI_BREAKER_CONFIG: '{"alarms":[],"budgets":[]}' } } } } }],
  ])('inert wiring is no spend-alarm control: %s assesses at level 3', async (_case, overrides) => {
    const run = await runCli(['assess', templateAt(4, overrides), '--json']);

    expect(run.code).toBe(0);
    const assessment = JSON.parse(run.stdout);
    expect(assessment.controls.find((c: any) => c.id === 'spend-alarms').present).toBe(false);
    expect(assessment.level).toBe(3);
  });

  test('lists each missing control with the construct that adds it', async () => {
    const run = await runCli(['assess', templateAt(1)]);

    expect(run.stdout).toMatch(/level 1 \(Crawl\)/);
    expect(run.stdout).toMatch(/\[ \] L2 A CUR 2\.0 data export — add: CostReporting/);
    expect(run.stdout).toMatch(/\[x\] L1 A budget on GenAI spend/);
  });

  test('--min-level gates CI: exit 1 below it, 0 at it', async () => {
    const file = templateAt(2);

    expect((await runCli(['assess', file, '--min-level', '3'])).code).toBe(1);
    expect((await runCli(['assess', file, '--min-level', '2'])).code).toBe(0);
  });

  test.each<[string, string[], RegExp]>([
    ['no path', ['assess'], /name a cloud assembly folder/],
    ['a missing path', ['assess', 'no/such/cdk.out'], /does not exist/],
    ['a folder that is not a cloud assembly', ['assess', 'lib'], /has no manifest\.json/],
    ['a --min-level out of range', ['assess', 'lib', '--min-level', '7'], /--min-level must be a whole number from 0 to 4/],
  ])('%s is a usage error: exit 2 with a message', async (_case, args, message) => {
    const run = await runCli(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
