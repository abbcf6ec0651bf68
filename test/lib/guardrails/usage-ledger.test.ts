import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { normalizeConfig } from '../../../lambda/pipeline/config';
import {
  ApiWorkflow, GenAiTags, LedgerFailureMode, UsageLedger, UsageLedgerProps, UsageLimit, UsageLimits, UsageScope, UsageWindow,
} from '../../../lib';
import { createTestStack, pipelineConfigOf, policyStatements } from '../../support/test-app';

function ledgerTemplate(props: UsageLedgerProps = {}) {
  const stack = createTestStack();
  const ledger = new UsageLedger(stack, 'Ledger', props);
  GenAiTags.apply(ledger, { feature: 'chat' });
  const role = new iam.Role(stack, 'Handler', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  ledger.grantReserveAndSettle(role);
  return { ledger, template: Template.fromStack(stack) };
}

function apiWithLedger(usageLimits: UsageLimit[] = UsageLimits.articleDefaults(), props: UsageLedgerProps = { tenantTiers: { 'key:k-big': 'enterprise' }, defaultTenantTier: 'startup' }) {
  const stack = createTestStack();
  const usageLedger = new UsageLedger(stack, 'Ledger', props);
  new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits, usageLedger });
  return Template.fromStack(stack);
}

describe('UsageLedger', () => {
  test('is an on-demand, encrypted table with point-in-time recovery, keyed by pk, TTL on expiresAt, retained', () => {
    const { template } = ledgerTemplate();

    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  test('takes the removal policy from props', () => {
    ledgerTemplate({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('grantReserveAndSettle allows exactly UpdateItem and PutItem, on the ledger table only', () => {
    const { template } = ledgerTemplate();

    const statements = policyStatements(template);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action.sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(statements[0].Resource).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Ledger/), 'Arn'] }]);
  });

  test('the workflow counts its limits in the ledger: store dynamodb, the table, the tiers, and the handler granted', () => {
    const template = apiWithLedger();

    const guards = pipelineConfigOf(template, 'ChatHandler').guards;
    expect(guards).toMatchObject({
      store: 'dynamodb',
      ledgerTableName: expect.stringMatching(/^\$\{Ledger[0-9A-F]+\}$/),
      tenantTiers: { 'key:k-big': 'enterprise' },
      defaultTier: 'startup',
    });
    expect(guards.usageLimits).toEqual([
      { scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 },
      { scope: 'tenant', window: 'month', tier: 'enterprise', maxTokens: 1_000_000 },
      { scope: 'tenant', window: 'month', tier: 'startup', maxTokens: 100_000 },
    ]);
    const ledgerGrant = policyStatements(template).filter((s) => s.Action.includes('dynamodb:UpdateItem'));
    expect(ledgerGrant).toHaveLength(1);
    expect(ledgerGrant[0].Action.sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ChatHandler') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['dynamodb:UpdateItem']), Resource: Match.anyValue() })]) },
    });
  });

  test('the runtime reads the configuration the workflow writes', () => {
    const guards = normalizeConfig(pipelineConfigOf(apiWithLedger([
      { scope: UsageScope.TENANT, window: UsageWindow.DAY, maxCostUsd: 25, shards: 8, onLedgerUnavailable: LedgerFailureMode.OPEN },
    ]), 'ChatHandler')).guards;

    expect(guards.store).toBe('dynamodb');
    expect(guards.usageLimits).toEqual([{ scope: 'tenant', window: 'day', maxCostUsd: 25, shards: 8, onLedgerUnavailable: 'open' }]);
  });

  test('articleDefaults() are the framework\'s limits: 100 requests and 10,000 tokens per user-hour, 1M and 100K tokens per tenant-month by tier', () => {
    expect(UsageLimits.articleDefaults()).toEqual([
      { scope: 'user', window: 'hour', maxRequests: 100, maxTokens: 10_000 },
      { scope: 'tenant', window: 'month', maxTokens: 1_000_000, tier: 'enterprise' },
      { scope: 'tenant', window: 'month', maxTokens: 100_000, tier: 'startup' },
    ]);
  });

  test('fails when a limit uses a tier, shards or a failure mode without a ledger', () => {
    const stack = createTestStack();
    expect(() => new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits: UsageLimits.articleDefaults() }))
      .toThrow(/TestStack\/Chat: usageLimits\[1\]\.tier is "enterprise", which only a shared ledger counts\. Fix: pass usageLedger: new UsageLedger\(\.\.\.\), or remove tier/);
  });

  test('fails when shards are out of range', () => {
    expect(() => apiWithLedger([{ scope: UsageScope.WORKFLOW, window: UsageWindow.MINUTE, maxTokens: 1000, shards: 0 }]))
      .toThrow(/TestStack\/Chat: usageLimits\[0\]\.shards is 0\. Fix: use a whole number from 1 to 100/);
  });

  test('fails when a tenant id has no source prefix, naming the tenant and the fix', () => {
    expect(() => ledgerTemplate({ tenantTiers: { acme: 'enterprise' } }))
      .toThrow(/TestStack\/Ledger: tenantTiers has the tenant 'acme', which no caller can be\. Fix: prefix the id with where it comes from: 'key:<API key id>'/);
  });

  test('fails when a tier name is not a plain name', () => {
    expect(() => ledgerTemplate({ tenantTiers: { 'iam:acme': 'gold tier!' } }))
      .toThrow(/TestStack\/Ledger: tenantTiers\['iam:acme'\] is "gold tier!"\. Fix: use a tier name of 1 to 64 letters/);
    expect(() => ledgerTemplate({ defaultTenantTier: '' })).toThrow(/TestStack\/Ledger: defaultTenantTier is ""\. Fix:/);
  });

  test('fails when the tiers would not fit in the function environment', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key:tenant-${i}-abcdefghij`, 'enterprise']));
    expect(() => ledgerTemplate({ tenantTiers: many })).toThrow(/TestStack\/Ledger: tenantTiers takes \d+ characters; at most 1500 fit .* Fix: list only the tenants above the default tier/);
  });

  test('matches the snapshot', () => {
    expect(ledgerTemplate().template.toJSON()).toMatchSnapshot();
  });
});
