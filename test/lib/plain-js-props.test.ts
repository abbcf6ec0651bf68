// This file is written as a plain-JavaScript user writes it (no type checker): the props below are what TypeScript
// would refuse, and what the constructs must refuse at synthesis with a message that helps.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- the whole file passes ill-typed props on purpose
// @ts-nocheck
import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as library from '../../lib';
import { ApiWorkflow, CircuitBreaker, CostReporting, DocumentWorkflow, GenAiBudgets, ScheduledWorkflow, UsageLedger, UsageScope, UsageWindow } from '../../lib';

function stack(): Stack {
  return new Stack(new App(), 'App', { env: { account: '111111111111', region: 'us-east-1' } });
}

describe('props from plain JavaScript', () => {
  test.each([
    ['a misspelt top-level key', { maxToken: 500 }, "App/Chat: maxToken is not a property of ApiWorkflowProps, so it would be ignored. Did you mean 'maxTokens'? Fix: rename it to maxTokens."],
    ['a tag key in the wrong case', { tags: { feature: 'chat', costcenter: 'cc-1' } }, "App/Chat: tags.costcenter is not a property of 'tags', so it would be ignored. Did you mean 'tags.costCenter'? Fix: rename it to costCenter."],
    ['the old routing.complex', { routing: { simple: library.BedrockModel.crossRegion(library.CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0'), complex: null } },
      "App/Chat: routing.complex is not a property of 'routing', so it would be ignored. Did you mean 'routing.complexTier'? Fix: rename it to complexTier."],
    ['a misspelt key of a usage limit', { usageLimits: [{ scope: UsageScope.USER, window: UsageWindow.HOUR, maxToken: 10 }] }, /App\/Chat: usageLimits\[0\]\.maxToken is not a property of 'usageLimits\[0\]'.*Did you mean 'usageLimits\[0\]\.maxTokens'\?/],
    ['a string for maxTokens', { maxTokens: '500' }, 'App/Chat: maxTokens must be a number; got the string "500". Fix: pass 500 without quotes.'],
    ['an enum spelt as its member name', { usageLimits: [{ scope: 'USER', window: UsageWindow.HOUR, maxRequests: 10 }] }, /usageLimits\[0\]\.scope must be one of 'user', 'tenant', 'feature', 'workflow', 'run'; got the string "USER"\. Fix: use UsageScope\.USER \('user'\)\./],
  ])('an ApiWorkflow with %s fails, naming path, value and fix', (_case, props, message) => {
    expect(() => new ApiWorkflow(stack(), 'Chat', props)).toThrow(message);
  });

  test.each([['maxRequests', 'requests'], ['maxTokens', 'tokens'], ['maxCostUsd', 'spend']])('fails when usage limit %s is 0, which would refuse every request', (name, what) => {
    const props = { usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.DAY, [name]: 0 }] };

    expect(() => new ApiWorkflow(stack(), 'Chat', props)).toThrow(
      new RegExp(`App/Chat: usageLimits\\[0\\]\\.${name} is 0, which refuses every request\\. Fix: use a .* above 0, or remove ${name} to leave ${what} unlimited\\.`));
  });

  test('the document and scheduled workflows check their own keys and the shared ones', () => {
    expect(() => new DocumentWorkflow(stack(), 'Docs', { prefixes: 'incoming/' })).toThrow(/App\/Docs: prefixes is not a property of DocumentWorkflowProps.*Did you mean 'prefix'\?/);
    expect(() => new ScheduledWorkflow(stack(), 'Nightly', { batchInference: 'false' })).toThrow('App/Nightly: batchInference must be true or false; got the string "false". Fix: pass false without quotes.');
  });

  test('CostReporting says monthlyBudgetUsd is a string, not that it is 500', () => {
    expect(() => new CostReporting(stack(), 'Cur', { monthlyBudgetUsd: '500' })).toThrow('App/Cur: monthlyBudgetUsd must be a number; got the string "500". Fix: pass 500 without quotes.');
  });

  test('fails when CostReporting monthlyBudgetUsd is 0', () => {
    expect(() => new CostReporting(stack(), 'Cur', { monthlyBudgetUsd: 0 })).toThrow(/App\/Cur: monthlyBudgetUsd is 0\. Fix: use a positive amount in USD/);
  });

  test('nested lists of budgets and map values are checked', () => {
    expect(() => new GenAiBudgets(stack(), 'Budgets', { application: 'support', features: [{ feature: 'chat', amountUSD: 50 }] }))
      .toThrow(/App\/Budgets: features\[0\]\.amountUSD is not a property of 'features\[0\]'.*Did you mean 'features\[0\]\.amountUsd'\?/);
    expect(() => new UsageLedger(stack(), 'Ledger', { tenantTiers: { acme: 1 } })).toThrow('App/Ledger: tenantTiers.acme must be a string; got the number 1.');
    expect(() => new CircuitBreaker(stack(), 'Breaker', { application: 'support', cacheTTL: 30 })).toThrow(/App\/Breaker: cacheTTL is not a property of CircuitBreakerProps.*Did you mean 'cacheTtl'\?/);
  });

  test('GenAiTags.apply and GenAiTagPolicy.enforce check their values and options, at the app as on a scope', () => {
    const app = new App();

    expect(() => library.GenAiTags.apply(app, { costcenter: 'cc-1' })).toThrow(/^the app: costcenter is not a property of GenAiTagValues.*Did you mean 'costCenter'\?/);
    expect(() => library.GenAiTagPolicy.enforce(stack(), { requiredKeys: ['Feature', 'costcenter'] }))
      .toThrow(/^App: requiredKeys\[1\] must be one of 'Environment', .*; got the string "costcenter"\. Fix: use GenAiTagKey\.COST_CENTER \('CostCenter'\)\./);
  });

  // Every construct the library exports takes its props through the check: a key no interface declares is refused
  // before the construct does anything else (so no required prop needs to be given here).
  const constructs = Object.entries(library)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Construct)
    .filter(([name]) => !['GenAiWorkflowBase'].includes(name));

  test('the library exports the constructs this test walks', () => {
    expect(constructs.map(([name]) => name)).toEqual(expect.arrayContaining(['ApiWorkflow', 'CostReporting', 'GenAiAlarms', 'GenAiFunction', 'TenantStatementView']));
  });

  test.each(constructs)('%s refuses an unknown prop key, naming its path', (name, Class) => {
    expect(() => new Class(stack(), 'Subject', { notAProp: 1 })).toThrow(/^App\/Subject: notAProp is not a property of \w+Props, so it would be ignored\./);
  });
});
