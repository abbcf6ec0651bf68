import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiWorkflow, BedrockModel, CircuitBreaker, CrossRegionGeography, GenAiFinOpsChecks, GenAiInferenceProfile, GenAiTags } from '../../../lib';
import { FINOPS_RULES } from '../../../lib/finops-checks/rules';
import { templateModel } from '../../../lib/finops-checks/template-model';
import { TEST_TAGS } from '../../support/test-app';

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

/** The findings of one rule on a stack built by `build` (a plain app: no cdk-nag, so bad stacks can be built). */
function findings(ruleId: string, build: (stack: Stack) => void): string[] {
  const stack = new Stack(new App(), 'Checked');
  build(stack);
  const rule = FINOPS_RULES.find((r) => r.id === ruleId)!;
  return rule.check(templateModel(Template.fromStack(stack).toJSON())).map((f) => f.logicalId);
}

function invokingRole(stack: Stack, id: string, statement: iam.PolicyStatementProps): iam.Role {
  const role = new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement(statement));
  return role;
}

const tagged = (scope: Stack) => GenAiTags.apply(scope, { ...TEST_TAGS, feature: 'support-chat' });

describe('the FinOps rule pack, one positive and one negative stack per rule', () => {
  test('GenAIFinOps-IAM1 flags Bedrock invoke on * and bedrock:*, not a scoped grant', () => {
    expect(findings('GenAIFinOps-IAM1', (s) => invokingRole(s, 'Wide', { actions: ['bedrock:InvokeModel'], resources: ['*'] }))).toHaveLength(1);
    expect(findings('GenAIFinOps-IAM1', (s) => invokingRole(s, 'Star', { actions: ['bedrock:*'], resources: ['arn:aws:bedrock:us-east-1::foundation-model/x'] }))).toHaveLength(1);
    expect(findings('GenAIFinOps-IAM1', (s) => invokingRole(s, 'Scoped', { actions: ['bedrock:InvokeModel'], resources: [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`] }))).toEqual([]);
  });

  test('GenAIFinOps-TAG1 flags an untagged role that can invoke Bedrock, not a tagged one', () => {
    const statement = { actions: ['bedrock:InvokeModel'], resources: [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`] };
    expect(findings('GenAIFinOps-TAG1', (s) => invokingRole(s, 'Untagged', statement))).toEqual([expect.stringMatching(/^Untagged/)]);
    expect(findings('GenAIFinOps-TAG1', (s) => { invokingRole(s, 'Tagged', statement); tagged(s); })).toEqual([]);
  });

  test('GenAIFinOps-TAG2 flags an application inference profile without the GenAI tags', () => {
    const profile = (s: Stack) => new GenAiInferenceProfile(s, 'Profile', { model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    expect(findings('GenAIFinOps-TAG2', (s) => { profile(s); })).toHaveLength(1);
    expect(findings('GenAIFinOps-TAG2', (s) => { profile(s); tagged(s); })).toEqual([]);
  });

  test('GenAIFinOps-BUD1 flags Bedrock use with no budget on its Application tag', () => {
    const withProfile = (s: Stack) => { new GenAiInferenceProfile(s, 'Profile', { model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) }); tagged(s); };
    const budget = (s: Stack) => new budgets.CfnBudget(s, 'Budget', {
      budget: {
        budgetName: 'test-app', budgetType: 'COST', timeUnit: 'MONTHLY', budgetLimit: { amount: 100, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:Application$${TEST_TAGS.application}`] },
      },
    });
    expect(findings('GenAIFinOps-BUD1', withProfile)).toHaveLength(1);
    expect(findings('GenAIFinOps-BUD1', (s) => { withProfile(s); budget(s); })).toEqual([]);
  });

  test('GenAIFinOps-CACHE1 flags a cache table without TTL', () => {
    const table = (s: Stack, ttl?: string) => new dynamodb.Table(s, 'ResponseCache', { partitionKey: { name: 'cacheKey', type: dynamodb.AttributeType.STRING }, timeToLiveAttribute: ttl });
    expect(findings('GenAIFinOps-CACHE1', (s) => { table(s); })).toHaveLength(1);
    expect(findings('GenAIFinOps-CACHE1', (s) => { table(s, 'expiresAt'); })).toEqual([]);
  });

  test('GenAIFinOps-LMB1 flags a Bedrock-invoking function with more than 1,024 MB', () => {
    const fn = (s: Stack, memorySize: number) => {
      const role = invokingRole(s, 'Role', { actions: ['bedrock:InvokeModel'], resources: [`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`] });
      new lambda.Function(s, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1'), role, memorySize });
    };
    expect(findings('GenAIFinOps-LMB1', (s) => fn(s, 3008))).toEqual([expect.stringMatching(/^Fn/)]);
    expect(findings('GenAIFinOps-LMB1', (s) => fn(s, 256))).toEqual([]);
  });

  test('GenAIFinOps-LOG1 flags a log group without retention and a function on its automatic log group', () => {
    const code = lambda.Code.fromInline('exports.handler=async()=>1');
    expect(findings('GenAIFinOps-LOG1', (s) => { new logs.LogGroup(s, 'Forever', { retention: logs.RetentionDays.INFINITE }); })).toHaveLength(1);
    expect(findings('GenAIFinOps-LOG1', (s) => { new lambda.Function(s, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'i.h', code }); })).toEqual([expect.stringMatching(/^Fn/)]);
    expect(findings('GenAIFinOps-LOG1', (s) => {
      const logGroup = new logs.LogGroup(s, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
      new lambda.Function(s, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'i.h', code, logGroup, timeout: Duration.seconds(3) });
    })).toEqual([]);
  });

  test('GenAIFinOps-PROF1 flags a profiled model invoked directly, not through the profile', () => {
    const profile = (s: Stack) => new GenAiInferenceProfile(s, 'Profile', { model: BedrockModel.crossRegion(CrossRegionGeography.US, HAIKU) });
    expect(findings('GenAIFinOps-PROF1', (s) => {
      profile(s);
      invokingRole(s, 'Direct', { actions: ['bedrock:InvokeModel'], resources: [`arn:aws:bedrock:*::foundation-model/${HAIKU}`] });
    })).toHaveLength(1);
    expect(findings('GenAIFinOps-PROF1', (s) => {
      const p = profile(s);
      p.grantInvoke(new iam.Role(s, 'ThroughProfile', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    })).toEqual([]);
  });
});

describe('GenAIFinOps-SIG1: signals the guardrails rely on, judged by policy evaluation', () => {
  const alarmTo = (s: Stack, topic: sns.ITopic) => new cloudwatch.Alarm(s, 'Spend', {
    metric: new cloudwatch.Metric({ namespace: 'GenAI/FinOps', metricName: 'CostUSD' }), threshold: 10, evaluationPeriods: 1,
  }).addAlarmAction(new cloudwatchActions.SnsAction(topic));

  test('flags a topic whose policy (enforceSSL alone) refuses the alarms that notify it', () => {
    expect(findings('GenAIFinOps-SIG1', (s) => alarmTo(s, new sns.Topic(s, 'Alerts', { enforceSSL: true })))).toEqual([expect.stringMatching(/^AlertsPolicy|^Alerts/)]);
  });

  test('passes a topic with no policy (SNS\'s default lets the account\'s alarms publish) and the circuit breaker\'s own topic', () => {
    expect(findings('GenAIFinOps-SIG1', (s) => alarmTo(s, new sns.Topic(s, 'Alerts')))).toEqual([]);
    expect(findings('GenAIFinOps-SIG1', (s) => {
      const breaker = new CircuitBreaker(s, 'Breaker', { application: 'support' });
      breaker.tripOnSpend({ metric: CircuitBreaker.hourlyCostMetric({ application: 'support', feature: 'chat', models: [HAIKU] }), feature: 'chat' }, 10);
    })).toEqual([]);
  });
});

describe('GenAiFinOpsChecks as a policy-validation plugin', () => {
  test('fails synthesis with the rule id, the resource and the fix', () => {
    const app = new App();
    Validations.of(app).addPlugins(new GenAiFinOpsChecks());
    const stack = new Stack(app, 'Wide');
    invokingRole(stack, 'Wide', { actions: ['bedrock:*'], resources: ['*'] });

    expect(() => app.synth()).toThrow(/GenAIFinOps-IAM1[\s\S]*GenAiInferenceProfile\.grantInvoke/);
  });

  test('an acknowledged rule no longer fails synthesis, and the library\'s own workflow passes every rule', () => {
    const app = new App();
    Validations.of(app).addPlugins(new GenAiFinOpsChecks());
    const stack = new Stack(app, 'Workflow');
    GenAiTags.apply(app, TEST_TAGS);
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    // The one rule a workflow alone cannot satisfy: a budget lives elsewhere in a real app
    Validations.of(stack).acknowledge({ id: 'GenAIFinOps-BUD1', reason: 'The budget is in the billing stack.' });

    expect(() => app.synth()).not.toThrow();
  });
});
