import { Stack } from 'aws-cdk-lib';

/** The ARN pattern of every budget in the stack's account. */
export function accountBudgetsArn(stack: Stack): string {
  return `arn:${stack.partition}:budgets::${stack.account}:budget/*`;
}

/**
 * The condition that lets AWS Budgets act only for this account's own budgets: the confused-deputy guard on the
 * Budgets service principal (a topic it publishes to, a role it assumes).
 */
export function fromAccountBudgets(stack: Stack): Record<string, Record<string, string>> {
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': accountBudgetsArn(stack) },
  };
}
