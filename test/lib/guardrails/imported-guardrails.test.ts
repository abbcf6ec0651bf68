import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  ApiWorkflow, CircuitBreaker, DocumentWorkflow, ICircuitBreaker, IUsageLedger, ScheduledWorkflow, UsageLedger, UsageScope, UsageWindow,
} from '../../../lib';
import { createTestStack, pipelineConfigOf, policyStatements } from '../../support/test-app';

// A ledger and a breaker owned by another stack, imported by their tables: the workflows given them must write the
// imported names into their configuration and grant their handlers exactly what the runtime calls, on those ARNs.

const LEDGER_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/shared-usage-ledger';
const BREAKER_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/shared-breaker-states';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const LIMITS = [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 100_000, tier: 'startup' }];

function importedLedger(stack: Stack, withKey = false): IUsageLedger {
  const table = dynamodb.Table.fromTableAttributes(stack, 'LedgerTable', {
    tableArn: LEDGER_ARN,
    ...(withKey ? { encryptionKey: kms.Key.fromKeyArn(stack, 'LedgerKey', KEY_ARN) } : {}),
  });
  return UsageLedger.fromTable(stack, 'Ledger', table, { tenantTiers: { 'key:k-big': 'enterprise' }, defaultTenantTier: 'startup' });
}

function importedBreaker(stack: Stack, withKey = false): ICircuitBreaker {
  const table = dynamodb.Table.fromTableAttributes(stack, 'BreakerTable', {
    tableArn: BREAKER_ARN,
    ...(withKey ? { encryptionKey: kms.Key.fromKeyArn(stack, 'BreakerKey', KEY_ARN) } : {}),
  });
  return CircuitBreaker.fromTable(stack, 'Breaker', table, { cacheTtl: Duration.seconds(15) });
}

const statementsOn = (template: Template, arn: string) => policyStatements(template).filter((s) => JSON.stringify(s.Resource).includes(arn));

describe('UsageLedger.fromTable', () => {
  test('a workflow counts its limits in the imported table: its name, the tiers, and UpdateItem and PutItem on its ARN only', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits: LIMITS, usageLedger: importedLedger(stack) });
    const template = Template.fromStack(stack);

    expect(pipelineConfigOf(template, 'ChatHandler').guards).toMatchObject({
      store: 'dynamodb', ledgerTableName: 'shared-usage-ledger', tenantTiers: { 'key:k-big': 'enterprise' }, defaultTier: 'startup',
    });
    const onLedger = statementsOn(template, LEDGER_ARN);
    expect(onLedger).toHaveLength(1);
    expect(onLedger[0].Action.sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(onLedger[0].Resource).toEqual([LEDGER_ARN]);
    template.resourceCountIs('AWS::DynamoDB::Table', 1); // the response cache's; the ledger is not created here
  });

  test('with a customer managed key, the handler may use that key, and only it', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits: LIMITS, usageLedger: importedLedger(stack, true) });
    const template = Template.fromStack(stack);

    const onKey = statementsOn(template, KEY_ARN);
    expect(onKey).toHaveLength(1);
    expect(onKey[0].Resource).toEqual([KEY_ARN]);
    expect(onKey[0].Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
    expect(onKey[0].Action.every((a) => a.startsWith('kms:'))).toBe(true);
  });

  test('fails when a tenant tier is not a tier name, naming the import\'s path', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableArn(stack, 'LedgerTable', LEDGER_ARN);

    expect(() => UsageLedger.fromTable(stack, 'Ledger', table, { tenantTiers: { 'key:k-big': 'gold tier' } }))
      .toThrow(/TestStack\/Ledger: tenantTiers\['key:k-big'\] is "gold tier"\. Fix: use a tier name/);
  });

  test('fails on an unknown option key, with the nearest known one', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableArn(stack, 'LedgerTable', LEDGER_ARN);

    expect(() => UsageLedger.fromTable(stack, 'Ledger', table, { defaultTier: 'startup' } as any)).toThrow(/defaultTier.*defaultTenantTier/);
  });
});

describe('CircuitBreaker.fromTable', () => {
  test.each([
    ['api', (stack: Stack, breaker: ICircuitBreaker) => new ApiWorkflow(stack, 'Workflow', { tags: { feature: 'support-chat' }, circuitBreaker: breaker })],
    ['document', (stack: Stack, breaker: ICircuitBreaker) => new DocumentWorkflow(stack, 'Workflow', { tags: { feature: 'support-chat' }, circuitBreaker: breaker })],
    ['scheduled', (stack: Stack, breaker: ICircuitBreaker) => new ScheduledWorkflow(stack, 'Workflow', { tags: { feature: 'support-chat' }, circuitBreaker: breaker })],
  ])('a %s workflow obeys the imported breaker: its table and TTL, GetItem and BatchGetItem on its ARN only', (_kind, make) => {
    const stack = createTestStack();
    make(stack, importedBreaker(stack));
    const template = Template.fromStack(stack);

    expect(pipelineConfigOf(template, 'WorkflowHandler').guards?.breaker).toMatchObject({ tableName: 'shared-breaker-states', cacheTtlSeconds: 15 });
    const onBreaker = statementsOn(template, BREAKER_ARN);
    expect(onBreaker).toHaveLength(1);
    expect(onBreaker[0].Action.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    expect(onBreaker[0].Resource).toEqual([BREAKER_ARN]);
    template.resourceCountIs('AWS::SNS::Topic', 0); // nothing of the breaker is created here
  });

  test('with a customer managed key, the handler may decrypt with that key, and do nothing else with it', () => {
    const stack = createTestStack();
    new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: importedBreaker(stack, true) });
    const onKey = statementsOn(Template.fromStack(stack), KEY_ARN);

    expect(onKey).toHaveLength(1);
    expect(onKey[0].Action).toEqual(['kms:Decrypt']);
    expect(onKey[0].Resource).toEqual([KEY_ARN]);
  });

  test('fails when the cache TTL is above an hour, naming the import\'s path', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableArn(stack, 'BreakerTable', BREAKER_ARN);

    expect(() => CircuitBreaker.fromTable(stack, 'Breaker', table, { cacheTtl: Duration.hours(2) }))
      .toThrow(/TestStack\/Breaker: cacheTtl is 7200 seconds.*Fix: use at most Duration\.hours\(1\)/);
  });

  test('defaults the cache TTL to 30 seconds, as the construct does', () => {
    const stack = createTestStack();
    const table = dynamodb.Table.fromTableArn(stack, 'BreakerTable', BREAKER_ARN);

    expect(CircuitBreaker.fromTable(stack, 'Breaker', table).cacheTtl.toSeconds()).toBe(new CircuitBreaker(stack, 'Own').cacheTtl.toSeconds());
  });
});

describe('the workflow surface', () => {
  test('a workflow exposes its function as a lambda.IFunction, with its role, log group and dead-letter queue', () => {
    const stack = createTestStack();
    const workflow = new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' } });
    const handler: lambda.IFunction = workflow.handler;

    expect(handler.role).toBe(workflow.role);
    expect(workflow.logGroup.node.path).toBe('TestStack/Chat/Handler/LogGroup');
    expect(workflow.deadLetterQueue.node.path).toMatch(/^TestStack\/Chat\/Handler\//);
    expect(workflow.monitored().handler).toBe(handler);
  });
});
