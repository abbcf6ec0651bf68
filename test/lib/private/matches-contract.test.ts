/*
 * The public string enums and the contract's lists are declared apart (jsii needs enums, the runtime reads the lists),
 * as are the public `ModelPriceOverride` and the contract's `ModelPriceOverrideFields`; `MatchesContract` ties them
 * at compile time. The `@ts-expect-error` lines below are the proof that it
 * bites: `tsc --noEmit` (part of `npm test`) fails if any of them stops being an error.
 */
import {
  AtLimit, BreakerPeriod, LedgerFailureMode, ModelPriceOverride, NearLimitAction, RoutingTier, ServiceTier, UsageScope, UsageWindow, WhenTripped,
} from '../../../lib';
import type { MatchesContract } from '../../../lib/private/matches-contract';
import {
  AT_LIMIT_BEHAVIOURS, BREAKER_MODES, BREAKER_PERIOD_UNITS, LEDGER_FAILURE_MODES, MODEL_TIERS, NEAR_LIMIT_ACTIONS, ModelPriceOverrideFields, ModelTier, SERVICE_TIERS, USAGE_SCOPES,
  USAGE_WINDOWS,
} from '../../../shared/contract';

enum TierWithExtra { SIMPLE = 'simple', MEDIUM = 'medium', COMPLEX = 'complex', ULTRA = 'ultra' }
enum TierMissingOne { SIMPLE = 'simple', MEDIUM = 'medium' }
enum TierMisspelt { SIMPLE = 'simple', MEDIUM = 'medium', COMPLEX = 'Complex' }
interface PriceOverrideWithExtra extends ModelPriceOverride { readonly reservedPerMillion?: number }

describe('MatchesContract', () => {
  test('accepts an enum with exactly the contract values', () => {
    const proof: MatchesContract<`${RoutingTier}`, ModelTier> = true;
    expect(proof).toBe(true);
  });

  test('rejects, at compile time, an enum with a value the contract lacks, one it misses, or one misspelt', () => {
    // @ts-expect-error 'ultra' is not in the contract
    const extra: MatchesContract<`${TierWithExtra}`, ModelTier> = true;
    // @ts-expect-error 'complex' is not in the enum
    const missing: MatchesContract<`${TierMissingOne}`, ModelTier> = true;
    // @ts-expect-error values are compared as written
    const misspelt: MatchesContract<`${TierMisspelt}`, ModelTier> = true;
    // The failed type names what is missing on each side, which is what tsc prints.
    const named: MatchesContract<`${TierWithExtra}`, ModelTier> = { notInContract: 'ultra', notInPublic: undefined as never };
    expect([extra, missing, misspelt, named.notInContract]).toEqual([true, true, true, 'ultra']);
  });

  test('ties the public price override to the contract field for field, at compile time', () => {
    const same: MatchesContract<Exclude<keyof ModelPriceOverride, 'modelId'>, keyof ModelPriceOverrideFields> = true;
    // @ts-expect-error a field the runtime would never read
    const extra: MatchesContract<Exclude<keyof PriceOverrideWithExtra, 'modelId'>, keyof ModelPriceOverrideFields> = true;
    // @ts-expect-error modelId keys the contract's map; it is not one of its fields
    const keyed: MatchesContract<keyof ModelPriceOverride, keyof ModelPriceOverrideFields> = true;
    expect([same, extra, keyed]).toEqual([true, true, true]);
  });
});

// What the compile-time checks guarantee, asserted on the values as shipped (the enums are objects at run time).
describe.each([
  ['RoutingTier', RoutingTier, MODEL_TIERS],
  ['ServiceTier', ServiceTier, SERVICE_TIERS],
  ['UsageScope', UsageScope, USAGE_SCOPES],
  ['UsageWindow', UsageWindow, USAGE_WINDOWS],
  ['LedgerFailureMode', LedgerFailureMode, LEDGER_FAILURE_MODES],
  ['WhenTripped', WhenTripped, BREAKER_MODES],
  ['BreakerPeriod', BreakerPeriod, BREAKER_PERIOD_UNITS],
  ['NearLimitAction', NearLimitAction, NEAR_LIMIT_ACTIONS],
  ['AtLimit', AtLimit, AT_LIMIT_BEHAVIOURS],
] as const)('%s', (_name, publicEnum, contractList) => {
  test('holds exactly the values of its contract list', () => {
    expect(Object.values(publicEnum).sort()).toEqual([...contractList].sort());
  });
});
