import { BREAKER_MODES, LEDGER_FAILURE_MODES, USAGE_SCOPES, USAGE_WINDOWS, UNTAGGED } from '../../../shared/contract';
import { normalizeConfig, PipelineConfigInput } from '../../../lambda/pipeline/config';

const TIERS = { simple: { invokeId: 'm', modelId: 'm' } };
const limit = { scope: 'tenant', window: 'month', maxTokens: 1_000 };
const withLimit = (overrides: Record<string, unknown>): PipelineConfigInput => ({ tiers: TIERS, guards: { usageLimits: [{ ...limit, ...overrides } as never] } });
const withBreakerFeature = (whenTripped: string): PipelineConfigInput => ({
  tiers: TIERS, guards: { usageLimits: [], breaker: { tableName: 'b', cacheTtlSeconds: 30, features: { chat: { critical: false, whenTripped: whenTripped as never } } } },
});

describe('the pipeline configuration checks its lists against the contract', () => {
  test.each(USAGE_SCOPES)('accepts the scope %s', (scope) => {
    expect(normalizeConfig(withLimit({ scope })).guards.usageLimits[0].scope).toBe(scope);
  });

  test.each(USAGE_WINDOWS)('accepts the window %s', (window) => {
    expect(normalizeConfig(withLimit({ window })).guards.usageLimits[0].window).toBe(window);
  });

  test.each(LEDGER_FAILURE_MODES)('accepts onLedgerUnavailable %s', (mode) => {
    expect(normalizeConfig(withLimit({ onLedgerUnavailable: mode })).guards.usageLimits[0].onLedgerUnavailable).toBe(mode);
  });

  test.each(BREAKER_MODES)('accepts whenTripped %s', (mode) => {
    expect(normalizeConfig(withBreakerFeature(mode)).guards.breaker?.features.chat.whenTripped).toBe(mode);
  });

  test('fails on an unknown scope, window, failure mode or breaker mode, naming the choices', () => {
    expect(() => normalizeConfig(withLimit({ scope: 'team' }))).toThrow("guards.usageLimits[0].scope 'team' is unknown; use one of user, tenant, feature, workflow, run.");
    expect(() => normalizeConfig(withLimit({ window: 'week' }))).toThrow("guards.usageLimits[0].window 'week' is unknown; use one of minute, hour, day, month.");
    expect(() => normalizeConfig(withLimit({ onLedgerUnavailable: 'retry' }))).toThrow("onLedgerUnavailable 'retry' is unknown; use 'open' or 'closed'.");
    expect(() => normalizeConfig(withBreakerFeature('halt'))).toThrow("whenTripped 'halt' is unknown; use 'pause' or 'downgrade' or 'throttle'.");
  });

  test.each([0, 1, 1.5, -0.25, '0.25'])('fails on a throttle share of %p, outside (0, 1)', (throttleTo) => {
    const config: PipelineConfigInput = {
      tiers: TIERS, guards: { usageLimits: [], breaker: { tableName: 'b', cacheTtlSeconds: 30, features: { chat: { critical: false, whenTripped: 'throttle', throttleTo: throttleTo as never } } } },
    };
    expect(() => normalizeConfig(config)).toThrow(`guards.breaker.features.chat.throttleTo ${String(throttleTo)} must be a share between 0 and 1 (exclusive), e.g. 0.25.`);
  });

  test.each([0, 10, 60])('accepts allowanceSeconds %p', (allowanceSeconds) => {
    expect(normalizeConfig(withLimit({ allowanceSeconds })).guards.usageLimits[0].allowanceSeconds).toBe(allowanceSeconds);
  });

  test.each(['10', -1, 61, null])('fails on allowanceSeconds %p, naming the field and the range', (allowanceSeconds) => {
    expect(() => normalizeConfig(withLimit({ allowanceSeconds })))
      .toThrow(`Pipeline configuration: guards.usageLimits[0].allowanceSeconds is ${String(allowanceSeconds)}; use a number of seconds from 0 to 60.`);
  });

  test('fails on allowanceSeconds on a run limit, whose calls land on any container; 0 there is harmless', () => {
    expect(() => normalizeConfig(withLimit({ scope: 'run', window: 'day', allowanceSeconds: 5 })))
      .toThrow('Pipeline configuration: guards.usageLimits[0].allowanceSeconds cannot apply to a run (its calls land on any container); remove it.');
    expect(normalizeConfig(withLimit({ scope: 'run', window: 'day', allowanceSeconds: 0 })).guards.usageLimits[0].scope).toBe('run');
  });

  test('a function without Application, Feature or Environment tags reports the contract\'s untagged values', () => {
    const config = normalizeConfig({ tiers: TIERS });

    expect([config.application, config.defaultFeature, config.environment]).toEqual([UNTAGGED.application, UNTAGGED.feature, UNTAGGED.environment]);
  });
});
