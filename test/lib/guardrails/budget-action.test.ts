import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BedrockDenyBudgetAction, BedrockDenyBudgetActionProps, BudgetActionApproval } from '../../../lib/guardrails/budget-action';
import { createTestStack, policyStatements } from '../../support/test-app';
import { expectSignalPathsHold } from '../../support/policy-simulator';

function actionOf(overrides: (stack: Stack) => Partial<BedrockDenyBudgetActionProps> = () => ({})) {
  const stack = createTestStack();
  const budget = new budgets.CfnBudget(stack, 'Budget', {
    budget: { budgetName: 'app-production', budgetType: 'COST', timeUnit: 'MONTHLY', budgetLimit: { amount: 100, unit: 'USD' } },
  });
  const batch = new iam.Role(stack, 'BatchRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const docs = iam.Role.fromRoleArn(stack, 'DocsRole', `arn:aws:iam::${stack.account}:role/docs-workflow`);
  const action = new BedrockDenyBudgetAction(stack, 'Deny', {
    budget,
    roles: [batch, docs],
    emailSubscribers: ['oncall@example.com'],
    ...overrides(stack),
  });
  return { stack, action, template: Template.fromStack(stack) };
}

describe('BedrockDenyBudgetAction', () => {
  test('applies the deny policy to the roles at actual 100 %, automatically, by default', () => {
    const { template, stack, action } = actionOf();
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      BudgetName: 'app-production',
      ActionType: 'APPLY_IAM_POLICY',
      NotificationType: 'ACTUAL',
      ActionThreshold: { Type: 'PERCENTAGE', Value: 100 },
      ApprovalModel: 'AUTOMATIC',
      ExecutionRoleArn: stack.resolve(action.executionRole.roleArn),
      Definition: {
        IamActionDefinition: {
          PolicyArn: stack.resolve(action.denyPolicy.managedPolicyArn),
          Roles: [{ Ref: Match.stringLikeRegexp('^BatchRole') }, 'docs-workflow'],
        },
      },
      Subscribers: [{ Type: 'EMAIL', Address: 'oncall@example.com' }],
    });
  });

  test('takes the threshold, approval and a topic subscriber from props', () => {
    const { template, stack } = actionOf((s) => ({
      thresholdPercent: 90,
      approval: BudgetActionApproval.MANUAL,
      topic: new sns.Topic(s, 'Topic', { enforceSSL: true }),
    }));
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      ActionThreshold: { Type: 'PERCENTAGE', Value: 90 },
      ApprovalModel: 'MANUAL',
      Subscribers: [{ Type: 'SNS', Address: { Ref: Match.stringLikeRegexp('^Topic') } }, { Type: 'EMAIL', Address: 'oncall@example.com' }],
    });
    expect(stack).toBeDefined();
  });

  test('the deny policy denies Bedrock invoke and batch jobs, and is attached to nothing at deploy time', () => {
    const { template } = actionOf();
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'DenyBedrockInvokeOverBudget',
          Effect: 'Deny',
          Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:CreateModelInvocationJob'],
          Resource: '*',
        }],
      },
      Roles: Match.absent(),
      Users: Match.absent(),
      Groups: Match.absent(),
    });
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as any[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('the execution role trusts only this account\'s budgets and may attach only the deny policy to only the roles', () => {
    const { template, stack, action } = actionOf();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow',
          Principal: { Service: 'budgets.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: { 'aws:SourceArn': Match.anyValue() },
          },
        }],
      },
    });
    const statements = policyStatements(template);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['iam:AttachRolePolicy', 'iam:DetachRolePolicy']);
    expect(statements[0].Resource).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^BatchRole/), 'Arn'] },
      { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':role/docs-workflow']] },
    ]);
    expect(statements[0].Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': stack.resolve(action.denyPolicy.managedPolicyArn) } });
  });

  test('waits for its budget and its execution role\'s permissions', () => {
    const { template } = actionOf();
    const [action] = Object.values(template.findResources('AWS::Budgets::BudgetsAction')) as any[];
    expect(action.DependsOn).toEqual(expect.arrayContaining(['Budget', expect.stringMatching(/^DenyExecutionRoleDefaultPolicy/)]));
  });

  test('fails when there are no roles, no subscriber or a bad threshold', () => {
    expect(() => actionOf(() => ({ roles: [] }))).toThrow(/TestStack\/Deny: roles is empty, so the action would deny nothing\. Fix:/);
    expect(() => actionOf(() => ({ emailSubscribers: [] }))).toThrow(/TestStack\/Deny: the action has no subscriber.*Fix: pass topic or emailSubscribers/);
    expect(() => actionOf(() => ({ thresholdPercent: 0 }))).toThrow(/TestStack\/Deny: thresholdPercent is 0\. Fix: use a percentage of the budget over 0 and at most 1000/);
    expect(() => actionOf(() => ({ thresholdPercent: 1500 }))).toThrow(/thresholdPercent is 1500/);
  });

  test('fails when the budget has no explicit name', () => {
    expect(() => actionOf((stack) => ({
      budget: new budgets.CfnBudget(stack, 'Unnamed', { budget: { budgetType: 'COST', timeUnit: 'MONTHLY', budgetLimit: { amount: 1, unit: 'USD' } } }),
    }))).toThrow(/TestStack\/Deny: budget TestStack\/Unnamed has no budgetName.*Fix: give the budget an explicit budgetName/);
  });

  test('matches the snapshot', () => {
    expect(actionOf().template.toJSON()).toMatchSnapshot();
  });
});

describe('BedrockDenyBudgetAction signal paths, evaluated by an IAM policy simulator', () => {
  test('Budgets may assume the role for this account\'s budgets, and the role may attach and detach the deny policy only', async () => {
    await expectSignalPathsHold(actionOf().template.toJSON(), ['budget action → deny policy']);
  });
});
