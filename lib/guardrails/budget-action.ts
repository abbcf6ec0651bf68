import { Stack, Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { fromAccountBudgets } from './budgets-source';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';

/** Who approves a Budgets action once its threshold is crossed. */
export enum BudgetActionApproval {
  /** Budgets applies the action as soon as the threshold is crossed. */
  AUTOMATIC = 'AUTOMATIC',
  /** Budgets notifies the subscribers and waits until someone runs the action from the console or API. */
  MANUAL = 'MANUAL',
}

/** Properties of a {@link BedrockDenyBudgetAction}. */
export interface BedrockDenyBudgetActionProps {
  /** The budget whose actual spend triggers the action. It must have an explicit `budgetName`. */
  readonly budget: budgets.CfnBudget;
  /** The roles that lose Bedrock invoke when the action runs: the non-critical workflows' roles. */
  readonly roles: iam.IRole[];
  /**
   * Percent of the budget's actual spend at which the action runs. Over 0, at most 1000.
   * @default 100
   */
  readonly thresholdPercent?: number;
  /**
   * Whether Budgets applies the deny at once or waits for a person.
   * @default BudgetActionApproval.AUTOMATIC
   */
  readonly approval?: BudgetActionApproval;
  /**
   * The topic Budgets notifies when the action runs (or awaits approval).
   * @default - only `emailSubscribers`
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses Budgets notifies when the action runs (or awaits approval), at most 10.
   * @default - only `topic`
   */
  readonly emailSubscribers?: string[];
}

/**
 * The native backstop behind the circuit breaker: an AWS Budgets action that, when the budget's actual spend
 * crosses the threshold, attaches a customer managed policy denying Bedrock model invocation to the given roles.
 *
 * The deny policy exists from deployment on but is attached to nothing until Budgets attaches it. Budgets runs
 * the action with an execution role of its own, trusted by `budgets.amazonaws.com` for this account's budgets
 * only, that may attach and detach exactly this policy on exactly these roles. Undo it from the Budgets console
 * (reverse the action) or with `ExecuteBudgetAction` and `REVERSE_BUDGET_ACTION`.
 */
export class BedrockDenyBudgetAction extends Construct {
  /**
   * The actions the deny policy covers. `Converse` is authorised as `bedrock:InvokeModel` and `ConverseStream` as
   * `bedrock:InvokeModelWithResponseStream`; batch jobs start with `CreateModelInvocationJob`.
   */
  public static readonly DENIED_ACTIONS: string[] = [
    'bedrock:InvokeModel',
    'bedrock:InvokeModelWithResponseStream',
    'bedrock:CreateModelInvocationJob',
  ];

  /** The deny policy Budgets attaches. */
  public readonly denyPolicy: iam.ManagedPolicy;
  /** The role Budgets assumes to attach and detach the deny policy. */
  public readonly executionRole: iam.Role;
  /** The Budgets action. */
  public readonly action: budgets.CfnBudgetsAction;

  constructor(scope: Construct, id: string, props: BedrockDenyBudgetActionProps) {
    super(scope, id);
    checkProps(this, 'BedrockDenyBudgetActionProps', props, BEDROCK_DENY_BUDGET_ACTION_PROP_KINDS);
    const budgetName = budgetNameOf(this, props.budget);
    validateActionProps(this, props);
    const stack = Stack.of(this);

    this.denyPolicy = new iam.ManagedPolicy(this, 'DenyBedrockInvoke', {
      description: `Attached by the Budgets action ${this.node.path} when budget ${budgetName} is overrun: no Bedrock model invocation.`,
      statements: [new iam.PolicyStatement({
        sid: 'DenyBedrockInvokeOverBudget',
        effect: iam.Effect.DENY,
        actions: BedrockDenyBudgetAction.DENIED_ACTIONS,
        resources: ['*'],
      })],
    });

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: `Lets AWS Budgets attach ${this.node.path}'s deny policy to the non-critical roles.`,
      assumedBy: new iam.ServicePrincipal('budgets.amazonaws.com').withConditions(fromAccountBudgets(stack)),
    });
    this.executionRole.addToPolicy(new iam.PolicyStatement({
      actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      resources: props.roles.map((role) => role.roleArn),
      conditions: { ArnEquals: { 'iam:PolicyARN': this.denyPolicy.managedPolicyArn } },
    }));

    const subscribers: budgets.CfnBudgetsAction.SubscriberProperty[] = [
      ...(props.topic ? [{ type: 'SNS', address: props.topic.topicArn }] : []),
      ...(props.emailSubscribers ?? []).map((address) => ({ type: 'EMAIL', address })),
    ];
    this.action = new budgets.CfnBudgetsAction(this, 'Resource', {
      budgetName,
      actionType: 'APPLY_IAM_POLICY',
      notificationType: 'ACTUAL',
      actionThreshold: { type: 'PERCENTAGE', value: props.thresholdPercent ?? 100 },
      approvalModel: props.approval ?? BudgetActionApproval.AUTOMATIC,
      executionRoleArn: this.executionRole.roleArn,
      definition: {
        iamActionDefinition: {
          policyArn: this.denyPolicy.managedPolicyArn,
          roles: props.roles.map((role) => role.roleName),
        },
      },
      subscribers,
    });
    this.action.addResourceDependency(props.budget);
    // The action must be deletable before its role loses the permission to detach the policy.
    this.action.node.addDependency(this.executionRole);
  }
}

/** The explicit name of a budget, or an error saying it needs one. */
export function budgetNameOf(scope: Construct, budget: budgets.CfnBudget): string {
  const data = budget.budget as budgets.CfnBudget.BudgetDataProperty;
  if (!data.budgetName) {
    throw new Error(`${scope.node.path}: budget ${budget.node.path} has no budgetName; a Budgets action refers to its budget by name. Fix: give the budget an explicit budgetName.`);
  }
  return data.budgetName;
}

function validateActionProps(scope: Construct, props: BedrockDenyBudgetActionProps): void {
  const where = scope.node.path;
  if (props.roles.length === 0) {
    throw new Error(`${where}: roles is empty, so the action would deny nothing. Fix: list the non-critical workflows' roles (e.g. workflow.handler.function.role).`);
  }
  checkPercent(where, 'thresholdPercent', props.thresholdPercent);
  const emails = props.emailSubscribers ?? [];
  if (!props.topic && emails.length === 0) {
    throw new Error(`${where}: the action has no subscriber; Budgets requires at least one. Fix: pass topic or emailSubscribers.`);
  }
  if (emails.length > 10) {
    throw new Error(`${where}: emailSubscribers has ${emails.length} addresses; Budgets accepts at most 10 per action. Fix: subscribe a distribution list, or the others to the topic.`);
  }
}

/** Fails on a percentage threshold that is not over 0 and at most 1000. */
export function checkPercent(where: string, name: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value) || value <= 0 || value > 1000) {
    throw new Error(`${where}: ${name} is ${value}. Fix: use a percentage of the budget over 0 and at most 1000, e.g. 80 or 100.`);
  }
}

// The known keys of BedrockDenyBudgetActionProps and what each holds (lib/private/prop-check.ts).
const BEDROCK_DENY_BUDGET_ACTION_PROP_KINDS = {
  budget: 'object',
  roles: { items: 'object' },
  thresholdPercent: 'number',
  approval: oneOf(BudgetActionApproval, 'BudgetActionApproval'),
  topic: 'object',
  emailSubscribers: 'string[]',
} as const satisfies PropKinds<BedrockDenyBudgetActionProps>;
