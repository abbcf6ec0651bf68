import { Annotations, Stack, Tags, Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { GenAiTags } from '../tagging';
import type { GenAiWorkflowBase } from '../workflows/genai-workflow-base';
import { BedrockDenyBudgetAction, BudgetActionApproval, checkPercent } from './budget-action';
import { declareBreakerSignal, nameOfBudget } from './breaker-signals';
import {
  BUDGET_THRESHOLD_KINDS, BudgetPeriod, BudgetThreshold, checkBudget, checkEmailSubscribers,
  DEFAULT_PRODUCTION_THRESHOLDS, newCostBudget,
} from './genai-budgets';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';

/** Properties of a {@link WorkflowRoleBudget}. */
export interface WorkflowRoleBudgetProps {
  /** The workflow whose handler role's Bedrock spend the budget counts (its `role` gets the identifying tag). */
  readonly workflow: GenAiWorkflowBase;
  /** The amount per period, in US dollars. */
  readonly amountUsd: number;
  /**
   * The topic the budget notifies at each threshold: pass `GenAiBudgets.topic` (or `BudgetAlertTopic.topic`), so
   * that a circuit breaker subscribed to it and the alert delivery see this budget too. It must let
   * `budgets.amazonaws.com` publish, as those topics do.
   */
  readonly topic: sns.ITopic;
  /**
   * The budget's name, unique in the account; the circuit breaker and the Budgets action refer to it.
   * @default `<stack name>-<workflow path in the stack, '/' as '-'>-role`
   */
  readonly budgetName?: string;
  /** @default - actual 80 %, actual 100 %, forecasted 100 % */
  readonly thresholds?: BudgetThreshold[];
  /**
   * How long the budget counts before it resets.
   * @default BudgetPeriod.MONTHLY
   */
  readonly period?: BudgetPeriod;
  /**
   * Percent of the amount (actual spend) at which a Budgets action denies this workflow's role, and no other,
   * Bedrock model invocation. Over 0, at most 1000.
   * @default - no Budgets action: the budget only notifies
   */
  readonly denyBedrockAtPercent?: number;
  /**
   * Whether the Budgets action runs at once or waits for approval; only with `denyBedrockAtPercent`.
   * @default BudgetActionApproval.AUTOMATIC
   */
  readonly denyBedrockApproval?: BudgetActionApproval;
  /**
   * Email addresses the budget (and its action) notifies directly, at most 10.
   * @default - only `topic`
   */
  readonly emailSubscribers?: string[];
}

/**
 * An AWS Budgets budget on the Bedrock spend of one workflow's IAM role: the backstop per workflow role, from the
 * bill itself, behind the usage limits and the circuit breaker.
 *
 * Amazon Bedrock records the calling IAM principal of every `bedrock-runtime` call (InvokeModel, Converse) and copies
 * the principal's tags into the billing data as `iamPrincipal/<key>` cost allocation tags ("IAM principal
 * attribution", https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-iam-principal-tracking.html; "Using IAM
 * principal for cost allocation",
 * https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/iam-principal-cost-allocation.html). AWS Budgets has
 * no IAM-principal dimension (the `Expression` `Dimensions` keys are AZ, SERVICE, LINKED_ACCOUNT, ... — see
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-budgets-budget-expressiondimensionvalues.html),
 * but its `FilterExpression` filters on cost allocation tags, and the Billing console activates these as such (the
 * Budgets reference does not name them yet; a published proof of concept, October 2026, reports a budget filtered on
 * `iamPrincipal/<key>` matching Cost Explorer and firing its action). So this construct tags the workflow's role with
 * {@link WorkflowRoleBudget.ROLE_TAG_KEY} = a value naming that role only (Region, stack name, path) and filters the
 * budget on `iamPrincipal/` + that key = that value.
 *
 * CloudFormation cannot activate a cost allocation tag (there is no resource for it): the key must be activated once
 * in the payer account's Billing console, as the IAM principal type, after the role's first Bedrock call. Until then
 * the budget counts nothing; synthesis says so in the warning `genai-finops:activate-iam-principal-tag`.
 */
export class WorkflowRoleBudget extends Construct {
  /** The tag key put on the workflow's role; in the bill it is `iamPrincipal/GenAiWorkflowRole`. */
  public static readonly ROLE_TAG_KEY = 'GenAiWorkflowRole';
  /** The prefix Billing gives the tags of IAM principals (CUR 2.0 `tags`, Cost Explorer, Budgets). */
  public static readonly IAM_PRINCIPAL_TAG_PREFIX = 'iamPrincipal/';

  /** The budget. */
  public readonly budget: budgets.CfnBudget;
  /** The budget's name. */
  public readonly budgetName: string;
  /** The value of {@link WorkflowRoleBudget.ROLE_TAG_KEY} on the role, which the budget filters on. */
  public readonly roleTagValue: string;
  /** The Budgets action denying this role Bedrock, when `denyBedrockAtPercent` is set. */
  public readonly denyBedrockAction?: BedrockDenyBudgetAction;

  constructor(scope: Construct, id: string, props: WorkflowRoleBudgetProps) {
    super(scope, id);
    checkProps(this, 'WorkflowRoleBudgetProps', props, WORKFLOW_ROLE_BUDGET_PROP_KINDS);
    const where = this.node.path;
    const role = ownedRole(where, props.workflow);
    const thresholds = props.thresholds ?? DEFAULT_PRODUCTION_THRESHOLDS;
    this.budgetName = props.budgetName ?? defaultBudgetName(where, props.workflow);
    checkBudget(where, this.budgetName, props.amountUsd, thresholds);
    checkPercent(where, 'denyBedrockAtPercent', props.denyBedrockAtPercent);
    const emails = props.emailSubscribers ?? [];
    checkEmailSubscribers(where, emails);
    if (props.denyBedrockApproval !== undefined && props.denyBedrockAtPercent === undefined) {
      throw new Error(`${where}: denyBedrockApproval is ${props.denyBedrockApproval} but denyBedrockAtPercent is not set, so there is no action to approve. Fix: set denyBedrockAtPercent (e.g. 100), or leave denyBedrockApproval out.`);
    }

    this.roleTagValue = roleTagValueOf(where, props.workflow);
    Tags.of(role).add(WorkflowRoleBudget.ROLE_TAG_KEY, this.roleTagValue);

    this.budget = newCostBudget(this, 'Resource', {
      budgetName: this.budgetName,
      period: props.period ?? BudgetPeriod.MONTHLY,
      amountUsd: props.amountUsd,
      // The IAM principal tag is attached to Bedrock usage only, so no service filter is needed (and one on
      // "Amazon Bedrock" would miss the Marketplace-billed models).
      filterExpression: {
        tags: {
          key: `${WorkflowRoleBudget.IAM_PRINCIPAL_TAG_PREFIX}${WorkflowRoleBudget.ROLE_TAG_KEY}`,
          values: [this.roleTagValue],
          matchOptions: ['EQUALS'],
        },
      },
      thresholds,
      topicArn: props.topic.topicArn,
      emails,
    });
    checkNameUnique(this, this.budget, this.budgetName);
    // Budgets checks that it may publish when the budget is created: the topic's policy must exist first.
    this.budget.node.addDependency(props.topic);

    // A circuit breaker subscribed to the topic trips the workflow's feature, as for a feature budget.
    const tags = GenAiTags.valuesAt(props.workflow.handler);
    if (tags.feature !== undefined) {
      declareBreakerSignal(this.budget, { features: [tags.feature], application: tags.application, environment: tags.environment });
    }

    if (props.denyBedrockAtPercent !== undefined) {
      this.denyBedrockAction = new BedrockDenyBudgetAction(this, 'DenyBedrock', {
        budget: this.budget,
        roles: [role],
        thresholdPercent: props.denyBedrockAtPercent,
        approval: props.denyBedrockApproval,
        topic: props.topic,
        emailSubscribers: props.emailSubscribers,
      });
    }

    Annotations.of(this).addWarningV2('genai-finops:activate-iam-principal-tag',
      `Budget ${this.budgetName} counts the Bedrock spend of ${role.node.path} through the IAM principal tag ${WorkflowRoleBudget.ROLE_TAG_KEY}, which CloudFormation cannot activate. `
      + 'Once per payer account, after the role\'s first Bedrock call (the key can take 24 hours to appear): Billing and Cost Management console > Cost allocation tags > '
      + `filter Tag type = IAM principal > activate ${WorkflowRoleBudget.ROLE_TAG_KEY}. Until then the budget counts $0; it counts spend from activation on. `
      + 'AWS documents these tags for Cost Explorer and CUR 2.0, not yet for Budgets filters: compare the budget\'s spend with Cost Explorer filtered on the same tag once. '
      + 'Then acknowledge this warning: Annotations.of(<this construct>).acknowledgeWarning(\'genai-finops:activate-iam-principal-tag\').');
  }
}

// The role must be one this app creates: a tag on an imported role is never deployed, and the budget would count $0.
function ownedRole(where: string, workflow: GenAiWorkflowBase): iam.Role {
  const role = workflow.role;
  if (!(role instanceof iam.Role)) {
    throw new Error(`${where}: the role of ${workflow.node.path} (${role.node.path}) is not created by this app, so its tag cannot be set. Fix: use a workflow whose handler role the app creates, or tag that role ${WorkflowRoleBudget.ROLE_TAG_KEY} yourself and use a CfnBudget filtered on ${WorkflowRoleBudget.IAM_PRINCIPAL_TAG_PREFIX}${WorkflowRoleBudget.ROLE_TAG_KEY}.`);
  }
  return role;
}

// Stack names are unique in an account and Region, construct paths in a stack: together they name one role. Budgets
// are account-wide, so the Region is part of it.
const LONGEST_REGION_CODE = 'ap-southeast-7'.length;

function roleTagValueOf(where: string, workflow: GenAiWorkflowBase): string {
  const stack = Stack.of(workflow);
  const value = `${stack.region}/${stack.stackName}/${pathInStack(workflow)}`;
  const literal = [stack.region, stack.stackName, pathInStack(workflow)].filter((part) => !Token.isUnresolved(part)).join('/');
  // A Region-agnostic stack deploys into a Region known only then: count the longest Region code (ap-southeast-7).
  const longest = literal.length + (Token.isUnresolved(stack.region) ? LONGEST_REGION_CODE + 1 : 0);
  if (!TAG_VALUE.test(literal) || longest > MAX_TAG_VALUE) {
    throw new Error(`${where}: the role tag value ${JSON.stringify(value)} is not a valid IAM tag value (at most ${MAX_TAG_VALUE} characters: letters, digits, spaces and _ . : / = + - @). Fix: give the stack and the workflow's construct ids such characters only, and keep them shorter.`);
  }
  return value;
}

function defaultBudgetName(where: string, workflow: GenAiWorkflowBase): string {
  const stackName = Stack.of(workflow).stackName;
  if (Token.isUnresolved(stackName)) {
    throw new Error(`${where}: the stack name is not known at synthesis, so no budget name can be derived from it. Fix: set budgetName, e.g. 'customer-support-chat-role'.`);
  }
  return `${stackName}-${pathInStack(workflow).replace(/\//g, '-')}-role`;
}

function pathInStack(construct: IConstruct): string {
  const stackPath = Stack.of(construct).node.path;
  return construct.node.path.slice(stackPath.length + 1);
}

// Budget names are unique in an account: another budget of the app with this name would fail at deploy time. Checked
// when the app is complete, so budgets made later (GenAiBudgets, a CfnBudget) count too.
function checkNameUnique(scope: Construct, budget: budgets.CfnBudget, name: string): void {
  scope.node.addValidation({
    validate: () => {
      if (Token.isUnresolved(name)) return [];
      const others = scope.node.root.node.findAll()
        .filter((c): c is budgets.CfnBudget => c instanceof budgets.CfnBudget && c !== budget && nameOfBudget(c) === name);
      return others.map((other) => `budget name ${JSON.stringify(name)} is also used by ${other.node.path}; budget names are unique in an account. Fix: give one of them its own budgetName.`);
    },
  });
}

// IAM tag values: letters, numbers, spaces and _ . : / = + - @, at most 256 characters.
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAG_VALUE = 256;

// The known keys of WorkflowRoleBudgetProps and what each holds (lib/private/prop-check.ts).
const WORKFLOW_ROLE_BUDGET_PROP_KINDS = {
  workflow: 'object',
  amountUsd: 'number',
  topic: 'object',
  budgetName: 'string',
  thresholds: { items: { fields: BUDGET_THRESHOLD_KINDS } },
  period: oneOf(BudgetPeriod, 'BudgetPeriod'),
  denyBedrockAtPercent: 'number',
  denyBedrockApproval: oneOf(BudgetActionApproval, 'BudgetActionApproval'),
  emailSubscribers: 'string[]',
} as const satisfies PropKinds<WorkflowRoleBudgetProps>;
