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

  describe('allowanceSeconds', () => {
    const tenantMonth = { scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: 100 };

    test('reaches the pipeline configuration of the function when valid, and the runtime reads it back', () => {
      const template = apiWithLedger([{ ...tenantMonth, allowanceSeconds: 10 }]);

      expect(pipelineConfigOf(template, 'ChatHandler').guards.usageLimits).toEqual([{ ...tenantMonth, allowanceSeconds: 10 }]);
      expect(normalizeConfig(pipelineConfigOf(template, 'ChatHandler')).guards.usageLimits[0].allowanceSeconds).toBe(10);
    });

    test('0 (every call reserves in the ledger) is left out of the configuration', () => {
      const limits = pipelineConfigOf(apiWithLedger([{ ...tenantMonth, allowanceSeconds: 0 }]), 'ChatHandler').guards.usageLimits;

      expect(limits).toEqual([tenantMonth]);
      expect(limits[0]).not.toHaveProperty('allowanceSeconds');
    });

    test('fails without a ledger, naming the path, the value and the fix', () => {
      const stack = createTestStack();
      expect(() => new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits: [{ ...tenantMonth, allowanceSeconds: 10 }] }))
        .toThrow(/TestStack\/Chat: usageLimits\[0\]\.allowanceSeconds is 10, which only a shared ledger counts\. Fix: pass usageLedger: new UsageLedger\(\.\.\.\), or remove allowanceSeconds/);
    });

    test('fails on a RUN limit, whose calls land on any container', () => {
      expect(() => apiWithLedger([{ scope: UsageScope.RUN, window: UsageWindow.DAY, maxRequests: 20, allowanceSeconds: 5 }]))
        .toThrow(/TestStack\/Chat: usageLimits\[0\]\.allowanceSeconds is 5 on a RUN limit.*Fix: remove allowanceSeconds from the run limit/);
    });

    test.each([[-1, '-1'], [Number.NaN, 'NaN'], [61, '61'], [Number.POSITIVE_INFINITY, 'Infinity']])('fails when it is %p, naming the value and the range', (seconds, shown) => {
      expect(() => apiWithLedger([{ ...tenantMonth, allowanceSeconds: seconds }]))
        .toThrow(new RegExp(`TestStack/Chat: usageLimits\\[0\\]\\.allowanceSeconds is ${shown}\\. Fix: use a number of seconds from 0 to 60`));
    });

    test('60, the most, is accepted', () => {
      expect(pipelineConfigOf(apiWithLedger([{ ...tenantMonth, allowanceSeconds: 60 }]), 'ChatHandler').guards.usageLimits[0].allowanceSeconds).toBe(60);
    });

    test('a string from JavaScript fails as a string, with the fix of passing a number', () => {
      expect(() => apiWithLedger([{ ...tenantMonth, allowanceSeconds: '10' as any }]))
        .toThrow(/TestStack\/Chat: usageLimits\[0\]\.allowanceSeconds must be a number; got the string "10"\. Fix: pass 10 without quotes/);
    });
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
