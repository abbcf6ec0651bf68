import { Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, ApiWorkflowProps, UsageLedger, UsageLedgerProps, UsageLimit, UsageLimits, UsageScope, UsageWindow } from '../../../lib';
import { createTestStack } from '../../support/test-app';

function api(props: Partial<ApiWorkflowProps>, ledger?: UsageLedgerProps): Stack {
  const stack = createTestStack();
  new ApiWorkflow(stack, 'Chat', {
    tags: { feature: 'support-chat' },
    ...(ledger ? { usageLedger: new UsageLedger(stack, 'Ledger', ledger) } : {}),
    ...props,
  });
  return stack;
}

describe('a token limit below the output cap', () => {
  test('a share per shard below the default output cap fails, naming the path, the values and the fix', () => {
    const limit: UsageLimit = { scope: UsageScope.WORKFLOW, window: UsageWindow.MINUTE, maxTokens: 4000, shards: 8 };
    expect(() => api({ usageLimits: [limit] }, {}))
      .toThrow(/TestStack\/Chat: usageLimits\[0\]: its share per shard \(maxTokens 4000 \/ shards 8\) is 500 tokens, below the workflow's output cap of 1024 tokens .*Fix: use fewer shards \(at most 3\), raise the limit's maxTokens to well above 8192 .*or lower the workflow's maxTokens/);
  });

  test('a maxTokens alone below the output cap fails, with or without a ledger', () => {
    const limits: UsageLimit[] = [{ scope: UsageScope.USER, window: UsageWindow.HOUR, maxRequests: 10 }, { scope: UsageScope.USER, window: UsageWindow.HOUR, maxTokens: 500 }];
    expect(() => api({ usageLimits: limits }))
      .toThrow(/TestStack\/Chat: usageLimits\[1\]: maxTokens is 500, below the workflow's output cap of 1024 tokens.*Fix: raise the limit's maxTokens to well above 1024/);
    expect(() => api({ usageLimits: limits }, {})).toThrow(/usageLimits\[1\]: maxTokens is 500/);
  });

  test('the workflow\'s own output cap counts: a lower maxTokens prop admits the same limit', () => {
    const limit: UsageLimit = { scope: UsageScope.WORKFLOW, window: UsageWindow.MINUTE, maxTokens: 4000, shards: 8 };
    expect(() => api({ usageLimits: [limit], maxTokens: 300 }, {})).not.toThrow();
    expect(() => api({ usageLimits: [{ scope: UsageScope.USER, window: UsageWindow.HOUR, maxTokens: 500 }], maxTokens: 600 }))
      .toThrow(/maxTokens is 500, below the workflow's output cap of 600 tokens/);
  });

  test('a limit whose largest share holds the output cap synthesizes (a refused shard tries the others)', () => {
    // 8,191 over 8 shards: seven shares of 1,024 and one of 1,023; a call refused by the small one tries the next.
    expect(() => api({ usageLimits: [{ scope: UsageScope.WORKFLOW, window: UsageWindow.MINUTE, maxTokens: 8191, shards: 8 }] }, {})).not.toThrow();
    expect(() => api({ usageLimits: UsageLimits.articleDefaults() }, { tenantTiers: { 'iam:acme': 'enterprise' }, defaultTenantTier: 'startup' })).not.toThrow();
  });

  test('a limit given as a token is not checked', () => {
    const maxTokens = Token.asNumber({ Ref: 'TokensPerMinute' });
    expect(() => api({ usageLimits: [{ scope: UsageScope.WORKFLOW, window: UsageWindow.MINUTE, maxTokens, shards: 8 }] }, {})).not.toThrow();
  });
});

describe('a limit tier no tenant has', () => {
  const warning = (stack: Stack, pattern: string) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(pattern));

  test('warns, naming the path, the tier, the known tiers and the fix', () => {
    const stack = api({ usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 100_000, tier: 'enterprize' }] },
      { tenantTiers: { 'iam:acme': 'enterprise' }, defaultTenantTier: 'startup' });
    expect(warning(stack, 'TestStack/Chat: usageLimits\\[0\\]\\.tier is "enterprize", which is no tenant\'s tier, so the limit applies to no tenant\\. Known tiers: "enterprise", "startup" .*Fix: use one of those tiers, or give tenants this tier')).toHaveLength(1);
  });

  test('warns when the ledger knows no tiers at all', () => {
    const stack = api({ usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxTokens: 100_000, tier: 'startup' }] }, {});
    expect(warning(stack, 'usageLimits\\[0\\]\\.tier is "startup".*Known tiers: none')).toHaveLength(1);
  });

  test('a tier of a tenant, or the default tier, does not warn', () => {
    const stack = api({ usageLimits: UsageLimits.articleDefaults() }, { tenantTiers: { 'iam:acme': 'enterprise' }, defaultTenantTier: 'startup' });
    expect(warning(stack, 'is no tenant\'s tier')).toHaveLength(0);
  });
});
