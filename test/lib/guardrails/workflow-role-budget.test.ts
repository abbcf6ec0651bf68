import { Annotations as CdkAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ApiWorkflow, BudgetActionApproval, BudgetNotificationType, BudgetPeriod, CircuitBreaker, GenAiBudgets, GenAiTags,
  ScheduledWorkflow, WorkflowRoleBudget, WorkflowRoleBudgetProps,
} from '../../../lib';
import type { GenAiWorkflowBase } from '../../../lib/workflows/genai-workflow-base';
import { readBreakerHandlerConfig } from '../../../lambda/breaker/config';
import { resolveIntrinsics } from '../../support/intrinsics';
import { expectSignalPathsHold } from '../../support/policy-simulator';
import { createTestApp, tagValue } from '../../support/test-app';

const ROLE_TAG = 'GenAiWorkflowRole';

interface Fixture {
  readonly stack: Stack;
  readonly chat: ApiWorkflow;
  readonly summaries: ScheduledWorkflow;
  readonly genAiBudgets: GenAiBudgets;
  readonly roleBudget: WorkflowRoleBudget;
}

/**
 * A production stack in a fixed account and Region with two workflows and GenAiBudgets, and a per-role budget on the
 * chat workflow notifying the GenAiBudgets topic.
 */
function roleBudgetOf(extra: (f: Omit<Fixture, 'roleBudget'>) => Partial<WorkflowRoleBudgetProps> = () => ({})): Fixture & { template: Template } {
  const stack = new Stack(createTestApp(), 'Support', { env: { account: '123456789012', region: 'eu-west-1' } });
  GenAiTags.apply(stack, { environment: 'production' });
  const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
  const summaries = new ScheduledWorkflow(stack, 'Summaries', { tags: { feature: 'summaries' } });
  const genAiBudgets = new GenAiBudgets(stack, 'Budgets', { application: 'test-app', productionAmountUsd: 900 });
  GenAiTags.apply(genAiBudgets, { feature: 'finops-guardrails' });
  const partial = { stack, chat, summaries, genAiBudgets };
  const roleBudget = new WorkflowRoleBudget(stack, 'ChatRoleBudget', {
    workflow: chat, amountUsd: 300, topic: genAiBudgets.topic, ...extra(partial),
  });
  GenAiTags.apply(roleBudget, { feature: 'finops-guardrails' });
  return { ...partial, roleBudget, template: Template.fromStack(stack) };
}

function roleResourceOf(template: Template, stack: Stack, workflow: GenAiWorkflowBase): any {
  const logicalId = stack.getLogicalId((workflow.role as iam.Role).node.defaultChild as iam.CfnRole);
  return template.toJSON().Resources[logicalId];
}

function roleBudgetResource(template: Template): any {
  const found = Object.values(template.findResources('AWS::Budgets::Budget'))
    .filter((b: any) => JSON.stringify(b.Properties.Budget.FilterExpression).includes('iamPrincipal/')) as any[];
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

function warningsOf(stack: Stack, id: string): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`genai-finops:${id}`)).map((w) => String(w.entry.data));
}

describe('WorkflowRoleBudget', () => {
  test('filters on the IAM principal tag that only the workflow\'s role carries, and nothing else', () => {
    // Given a per-role budget on the chat workflow
    const { template, stack, chat, summaries, roleBudget } = roleBudgetOf();

    // Then the budget filters on iamPrincipal/GenAiWorkflowRole = Region/stack/path of the chat workflow
    const budget = roleBudgetResource(template);
    expect(budget.Budget.FilterExpression).toEqual({
      Tags: { Key: 'iamPrincipal/GenAiWorkflowRole', Values: ['eu-west-1/Support/Chat'], MatchOptions: ['EQUALS'] },
    });
    expect(roleBudget.roleTagValue).toBe('eu-west-1/Support/Chat');
    expect(budget.Budget.CostFilters).toBeUndefined();
    expect(budget.Budget).toMatchObject({ BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 300, Unit: 'USD' }, Metrics: ['UnblendedCost'] });

    // And the chat handler's role, and no other resource of the template, carries that tag
    expect(tagValue(roleResourceOf(template, stack, chat), ROLE_TAG)).toBe('eu-west-1/Support/Chat');
    const carriers = Object.entries(template.toJSON().Resources as Record<string, any>)
      .filter(([, r]) => tagValue(r, ROLE_TAG) !== undefined).map(([id]) => id);
    expect(carriers).toEqual([stack.getLogicalId((chat.role as iam.Role).node.defaultChild as iam.CfnRole)]);
    expect(tagValue(roleResourceOf(template, stack, summaries), ROLE_TAG)).toBeUndefined();
  });

  test('names the budget after the stack and the workflow by default, and notifies the topic at the production thresholds', () => {
    const { template, stack, genAiBudgets, roleBudget } = roleBudgetOf();
    const budget = roleBudgetResource(template);
    expect(roleBudget.budgetName).toBe('Support-Chat-role');
    expect(budget.Budget.BudgetName).toBe('Support-Chat-role');
    const topicArn = stack.resolve(genAiBudgets.topic.topicArn);
    expect(budget.NotificationsWithSubscribers.map((n: any) => [n.Notification.NotificationType, n.Notification.Threshold, n.Subscribers])).toEqual([
      ['ACTUAL', 80, [{ SubscriptionType: 'SNS', Address: topicArn }]],
      ['ACTUAL', 100, [{ SubscriptionType: 'SNS', Address: topicArn }]],
      ['FORECASTED', 100, [{ SubscriptionType: 'SNS', Address: topicArn }]],
    ]);
  });

  test('is created after the topic policy that lets Budgets publish', () => {
    const { template, stack, genAiBudgets } = roleBudgetOf();
    const [id] = Object.entries(template.findResources('AWS::Budgets::Budget'))
      .find(([, b]: [string, any]) => b.Properties.Budget.BudgetName === 'Support-Chat-role')!;
    const topicRef = stack.resolve(genAiBudgets.topic.topicArn);
    const [policyId] = Object.entries(template.findResources('AWS::SNS::TopicPolicy'))
      .find(([, p]: [string, any]) => JSON.stringify(p.Properties.Topics) === JSON.stringify([topicRef]))!;
    expect(policyId).toBeDefined();
    expect(template.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining([policyId]));
  });

  test('takes the name, amount, period, thresholds and email subscribers from props', () => {
    const { template } = roleBudgetOf(() => ({
      budgetName: 'support-chat-role', amountUsd: 1200, period: BudgetPeriod.QUARTERLY,
      thresholds: [{ percent: 50 }, { percent: 120, notificationType: BudgetNotificationType.FORECASTED }],
      emailSubscribers: ['oncall@example.com'],
    }));
    const budget = roleBudgetResource(template);
    expect(budget.Budget).toMatchObject({ BudgetName: 'support-chat-role', TimeUnit: 'QUARTERLY', BudgetLimit: { Amount: 1200, Unit: 'USD' } });
    expect(budget.NotificationsWithSubscribers.map((n: any) => [n.Notification.NotificationType, n.Notification.Threshold, n.Subscribers.length])).toEqual([
      ['ACTUAL', 50, 2], ['FORECASTED', 120, 2],
    ]);
    expect(budget.NotificationsWithSubscribers[0].Subscribers[1]).toEqual({ SubscriptionType: 'EMAIL', Address: 'oncall@example.com' });
  });

  test('denies Bedrock to that workflow\'s role only, with denyBedrockAtPercent', () => {
    const { template, stack, chat, roleBudget } = roleBudgetOf(() => ({ denyBedrockAtPercent: 110, denyBedrockApproval: BudgetActionApproval.MANUAL }));
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      BudgetName: 'Support-Chat-role',
      ActionThreshold: { Type: 'PERCENTAGE', Value: 110 },
      ApprovalModel: 'MANUAL',
      Definition: { IamActionDefinition: { PolicyArn: Match.anyValue(), Roles: [stack.resolve(chat.role.roleName)] } },
    });
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 1);
    expect(roleBudget.denyBedrockAction).toBeDefined();
  });

  test('has no Budgets action by default', () => {
    const { template, roleBudget } = roleBudgetOf();
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 0);
    expect(roleBudget.denyBedrockAction).toBeUndefined();
  });

  test('warns at synthesis that the IAM principal tag must be activated in the Billing console, naming it', () => {
    const { stack } = roleBudgetOf();
    expect(warningsOf(stack, 'activate-iam-principal-tag')).toEqual([expect.stringMatching(
      /Budget Support-Chat-role counts the Bedrock spend of Support\/Chat\/.*ServiceRole through the IAM principal tag GenAiWorkflowRole, which CloudFormation cannot activate\..*Cost allocation tags > filter Tag type = IAM principal > activate GenAiWorkflowRole/)]);
  });

  test('the warning goes once the activation is acknowledged', () => {
    const { stack } = roleBudgetOf((f) => {
      CdkAnnotations.of(f.stack).acknowledgeWarning('genai-finops:activate-iam-principal-tag', 'GenAiWorkflowRole is active as an IAM principal tag');
      return {};
    });
    expect(warningsOf(stack, 'activate-iam-principal-tag')).toEqual([]);
  });

  test('a breaker subscribed to the topic trips the workflow\'s feature for the budget\'s period', () => {
    // Given a breaker subscribed to the GenAiBudgets topic, which the per-role budget notifies
    const { stack } = roleBudgetOf((f) => {
      new CircuitBreaker(f.stack, 'Breaker').subscribeTo(f.genAiBudgets.topic);
      return { period: BudgetPeriod.QUARTERLY };
    });
    // Then the breaker function's configuration maps the per-role budget to the chat feature
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('circuit breaker') } })) as any[];
    const config = readBreakerHandlerConfig(resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>);
    expect(config.budgets).toEqual(expect.arrayContaining([{ name: 'Support-Chat-role', features: ['support-chat'], period: 'quarter' }]));
  });

  test('in an environment-agnostic stack, the tag and the filter name the Region the stack deploys to', () => {
    const stack = new Stack(createTestApp(), 'Agnostic');
    const chat = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    const topic = new GenAiBudgets(stack, 'Budgets', { application: 'test-app', productionAmountUsd: 900 }).topic;
    const roleBudget = new WorkflowRoleBudget(stack, 'RoleBudget', { workflow: chat, amountUsd: 10, topic });
    GenAiTags.apply(stack, { feature: 'finops-guardrails' });
    GenAiTags.apply(chat, { feature: 'support-chat' });
    const template = Template.fromStack(stack);
    const expected = stack.resolve(roleBudget.roleTagValue);
    expect(expected).toEqual({ 'Fn::Join': ['', [{ Ref: 'AWS::Region' }, '/Agnostic/Chat']] });
    expect(roleBudgetResource(template).Budget.FilterExpression.Tags.Values).toEqual([expected]);
    expect(tagValue(roleResourceOf(template, stack, chat), ROLE_TAG)).toEqual(expected);
  });

  test('fails when the amount, thresholds, approval or email subscribers are wrong, naming the path, the value and the fix', () => {
    expect(() => roleBudgetOf(() => ({ amountUsd: 0 }))).toThrow(/Support\/ChatRoleBudget: budget "Support-Chat-role": the amount is 0 USD\. Fix:/);
    expect(() => roleBudgetOf(() => ({ thresholds: [] }))).toThrow(/Support\/ChatRoleBudget: budget "Support-Chat-role": it has 0 thresholds.*Fix:/);
    expect(() => roleBudgetOf(() => ({ denyBedrockAtPercent: 0 }))).toThrow(/Support\/ChatRoleBudget: denyBedrockAtPercent is 0\. Fix:/);
    expect(() => roleBudgetOf(() => ({ denyBedrockApproval: BudgetActionApproval.MANUAL }))).toThrow(
      /Support\/ChatRoleBudget: denyBedrockApproval is MANUAL but denyBedrockAtPercent is not set.*Fix: set denyBedrockAtPercent/);
    expect(() => roleBudgetOf(() => ({ emailSubscribers: Array.from({ length: 11 }, (_, i) => `p${i}@example.com`) })))
      .toThrow(/Support\/ChatRoleBudget: emailSubscribers has 11 addresses.*Fix:/);
    expect(() => roleBudgetOf(() => ({ budgetName: 'bad:name' }))).toThrow(/Support\/ChatRoleBudget: budget "bad:name": the name must be 1 to 100 characters.*Fix:/);
    expect(() => roleBudgetOf(() => ({ amountUsd: '300' as any }))).toThrow(/Support\/ChatRoleBudget: amountUsd must be a number; got the string "300"\. Fix: pass 300 without quotes/);
  });

  test('fails when another budget of the app has the same name', () => {
    expect(() => roleBudgetOf(() => ({ budgetName: 'test-app-production' }))).toThrow(
      /budget name "test-app-production" is also used by Support\/Budgets\/Production; budget names are unique in an account\. Fix:/);
  });

  test('fails when the workflow\'s role is not created by the app', () => {
    const { stack, chat, genAiBudgets } = roleBudgetOf();
    const imported = iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::123456789012:role/chat');
    const workflow = { role: imported, node: chat.node, handler: chat.handler } as unknown as GenAiWorkflowBase;
    expect(() => new WorkflowRoleBudget(stack, 'Other', { workflow, amountUsd: 1, topic: genAiBudgets.topic, budgetName: 'other' }))
      .toThrow(/Support\/Other: the role of Support\/Chat \(Support\/Imported\) is not created by this app.*Fix:/);
  });

  test('fails when the role tag value would not be a valid IAM tag value', () => {
    const stack = new Stack(createTestApp(), 'Support', { env: { account: '123456789012', region: 'eu-west-1' } });
    const chat = new ApiWorkflow(stack, 'Chat#1', { tags: { feature: 'support-chat' } });
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    expect(() => new WorkflowRoleBudget(stack, 'RoleBudget', { workflow: chat, amountUsd: 1, topic }))
      .toThrow(/Support\/RoleBudget: the role tag value "eu-west-1\/Support\/Chat#1" is not a valid IAM tag value.*Fix:/);
  });

  test('fails when a Region-agnostic stack\'s tag value could exceed 256 characters once deployed in the longest Region', () => {
    // 'Support' + '/' + a path: 242 literal characters fit alone, not with a Region of up to 14 characters and its '/'.
    const stack = new Stack(createTestApp(), 'Support', {});
    const id = 'C'.repeat(242 - 'Support/'.length);
    const chat = new ApiWorkflow(stack, id, { tags: { feature: 'support-chat' } });
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    expect(() => new WorkflowRoleBudget(stack, 'RoleBudget', { workflow: chat, amountUsd: 1, topic, budgetName: 'long' }))
      .toThrow(/Support\/RoleBudget: the role tag value .* is not a valid IAM tag value \(at most 256 characters/);
  });

  test('matches the snapshot', () => {
    const { template } = roleBudgetOf(() => ({ denyBedrockAtPercent: 100 }));
    const resources = template.toJSON().Resources as Record<string, any>;
    const own = Object.fromEntries(Object.entries(resources).filter(([id]) => id.startsWith('ChatRoleBudget')));
    expect(own).toMatchSnapshot();
  });
});

describe('WorkflowRoleBudget signal paths, evaluated by an IAM policy simulator', () => {
  test('the budget may publish to the alert topic, and Budgets may attach the deny policy to the workflow\'s role only', async () => {
    const { template } = roleBudgetOf(() => ({ denyBedrockAtPercent: 100 }));
    const simulated = await expectSignalPathsHold(template.toJSON(), ['budget → topic', 'budget action → deny policy']);
    const fromRoleBudget = simulated.filter(({ check }) => check.source.startsWith('ChatRoleBudget') && check.expect === 'allow');
    expect(fromRoleBudget.map(({ check }) => check.path)).toEqual(expect.arrayContaining(['budget → topic', 'budget action → deny policy']));
  });
});
