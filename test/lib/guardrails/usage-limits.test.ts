import { ApiWorkflow, LedgerFailureMode, UsageLedger, UsageLimit, UsageScope, UsageWindow } from '../../../lib';
import { createTestStack } from '../../support/test-app';

function apiWith(usageLimits: UsageLimit[]): void {
  new ApiWorkflow(createTestStack(), 'Chat', { tags: { feature: 'support-chat' }, usageLimits });
}

describe('usageLimits', () => {
  test('fails when a limit sets no maximum, naming the construct and the fix', () => {
    expect(() => apiWith([{ scope: UsageScope.USER, window: UsageWindow.HOUR }]))
      .toThrow(/TestStack\/Chat: usageLimits\[0\] sets no maximum\. Fix: give maxRequests, maxTokens or maxCostUsd/);
  });

  test('fails when a maximum is negative or a count is fractional', () => {
    expect(() => apiWith([{ scope: UsageScope.TENANT, window: UsageWindow.MONTH, maxCostUsd: -5 }]))
      .toThrow(/usageLimits\[0\]\.maxCostUsd is -5\. Fix: use a number of US dollars above 0/);
    expect(() => apiWith([{ scope: UsageScope.USER, window: UsageWindow.MINUTE, maxRequests: 2.5 }]))
      .toThrow(/usageLimits\[0\]\.maxRequests is 2\.5\. Fix: use a whole number above 0/);
  });

  test('fails when the scope or window is not one of the enums', () => {
    expect(() => apiWith([{ scope: 'customer' as UsageScope, window: UsageWindow.DAY, maxRequests: 5 }]))
      .toThrow(/usageLimits\[0\]\.scope must be one of 'user', 'tenant', 'feature', 'workflow', 'run'; got the string "customer"\. Fix: use one of UsageScope\.USER, UsageScope\.TENANT, UsageScope\.FEATURE, UsageScope\.WORKFLOW, UsageScope\.RUN\./);
    expect(() => apiWith([{ scope: UsageScope.USER, window: 'week' as UsageWindow, maxRequests: 5 }]))
      .toThrow(/usageLimits\[0\]\.window must be one of 'minute', 'hour', 'day', 'month'; got the string "week"\. Fix: use one of UsageWindow\.MINUTE, UsageWindow\.HOUR, UsageWindow\.DAY, UsageWindow\.MONTH\./);
  });

  describe('run limits', () => {
    function apiWithLedger(usageLimits: UsageLimit[]): void {
      const stack = createTestStack();
      new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, usageLimits, usageLedger: new UsageLedger(stack, 'Ledger') });
    }

    test('need a usage ledger, naming the path, the value and the fix', () => {
      expect(() => apiWith([{ scope: UsageScope.RUN, window: UsageWindow.DAY, maxRequests: 20 }]))
        .toThrow(/TestStack\/Chat: usageLimits\[0\]\.scope is UsageScope\.RUN, which only a shared ledger counts .* Fix: pass usageLedger: new UsageLedger/);
    });

    test('need a day or month window, and fail closed', () => {
      expect(() => apiWithLedger([{ scope: UsageScope.RUN, window: UsageWindow.HOUR, maxRequests: 20 }]))
        .toThrow(/usageLimits\[0\]\.window is "hour", too short to bound a run .* Fix: use UsageWindow\.DAY or UsageWindow\.MONTH/);
      expect(() => apiWithLedger([{ scope: UsageScope.RUN, window: UsageWindow.DAY, maxRequests: 20, onLedgerUnavailable: LedgerFailureMode.OPEN }]))
        .toThrow(/usageLimits\[0\]\.onLedgerUnavailable is "open", which a run limit cannot use/);
    });

    test('with a ledger, synthesize', () => {
      expect(() => apiWithLedger([{ scope: UsageScope.RUN, window: UsageWindow.DAY, maxRequests: 20, maxTokens: 50_000, maxCostUsd: 0.5 }])).not.toThrow();
    });
  });
});
