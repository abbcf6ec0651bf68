import { BreakerConfig, BreakerFeatureConfig, DEFAULT_BREAKER_THROTTLE_SHARE } from '../../../../shared/contract';
import { BreakerStateItem, BreakerStateReader } from '../../../../lambda/breaker/state';
import { BreakerGuard } from '../../../../lambda/pipeline/guards';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import { fractionOf } from '../../../../lambda/pipeline/guards/breaker-throttle';

const DEC_6 = Date.UTC(2026, 11, 6, 10, 0, 0);

/** A breaker table in memory: open or close a feature's breaker, count the reads. */
class StateTable implements BreakerStateReader {
  reads = 0;
  private readonly items = new Map<string, BreakerStateItem>();

  open(feature: string, openedAt = '2026-12-06T09:00:00.000Z'): void {
    this.items.set(feature, { feature, status: 'open', sources: ['alarm:genai-chat-spend'], source: 'alarm:genai-chat-spend', period: '2026-12', openedAt, reason: 'CloudWatch alarm genai-chat-spend is in ALARM' });
  }

  close(feature: string): void {
    this.items.delete(feature);
  }

  async read(_application: string, features: ReadonlyArray<string>): Promise<Map<string, BreakerStateItem | undefined>> {
    this.reads++;
    return new Map(features.map((f) => [f, this.items.get(f)]));
  }
}

const throttled = (throttleTo?: number): BreakerFeatureConfig => ({ critical: false, whenTripped: 'throttle', ...(throttleTo !== undefined ? { throttleTo } : {}) });

function guardOf(table: StateTable, config: Partial<BreakerConfig>, clock: { now: number } = { now: DEC_6 }, onThrottled?: (feature: string) => void): BreakerGuard {
  return new BreakerGuard({ tableName: 'breaker', cacheTtlSeconds: 30, features: {}, ...config }, 'support', table, { now: () => clock.now, onThrottled });
}

let requestCounter = 0;
/** Offers `count` requests of `feature` one after another; the 1-based positions admitted, and the refusals. */
async function offer(guard: BreakerGuard, feature: string, count: number, nowMs = DEC_6): Promise<{ admitted: number[]; refusals: PipelineError[] }> {
  const admitted: number[] = [];
  const refusals: PipelineError[] = [];
  for (let n = 1; n <= count; n++) {
    try {
      await guard.admit({ requestId: `r${++requestCounter}`, tenantId: 't', userId: 'u', feature, path: 'converse', nowMs });
      admitted.push(n);
    } catch (error) {
      if (!(error instanceof PipelineError)) throw error;
      refusals.push(error);
    }
  }
  return { admitted, refusals };
}

describe('BreakerGuard in throttle mode', () => {
  test('admits exactly the share of a tripped feature\'s requests, the first of them and then evenly', async () => {
    // Given the chat feature's breaker open and chat throttled to the default share (a quarter)
    const table = new StateTable();
    table.open('chat');
    const counted: string[] = [];
    const guard = guardOf(table, { defaultFeature: throttled() }, undefined, (f) => counted.push(f));

    // When 100 chat requests arrive
    const { admitted, refusals } = await offer(guard, 'chat', 100);

    // Then 25 are admitted, the 1st, 5th, 9th..., and 75 refused, each counted once for the ThrottledRequests metric
    expect(DEFAULT_BREAKER_THROTTLE_SHARE).toBe(0.25);
    expect(admitted).toHaveLength(25);
    expect(admitted.slice(0, 4)).toEqual([1, 5, 9, 13]);
    expect(refusals).toHaveLength(75);
    expect(counted).toEqual(Array(75).fill('chat'));
  });

  test('a refusal is a 429 FEATURE_THROTTLED naming the breaker, why it is open, the share, and Retry-After the cache TTL', async () => {
    const table = new StateTable();
    table.open('chat');
    const guard = guardOf(table, { cacheTtlSeconds: 20, defaultFeature: throttled(0.25) });

    const { refusals: [refusal] } = await offer(guard, 'chat', 2);

    expect(refusal.status).toBe(429);
    expect(refusal.code).toBe('FEATURE_THROTTLED');
    expect(refusal.message).toBe("Feature 'chat' is throttled to 25 % of its requests and this one was not admitted: the breaker of feature 'chat' is open since "
      + '2026-12-06T09:00:00.000Z (CloudWatch alarm genai-chat-spend is in ALARM); it resets at 2027-01-01T00:00:00.000Z, when the budget period ends, or when an operator resets it.');
    expect(refusal.details).toEqual({
      feature: 'chat', breaker: 'chat', source: 'alarm:genai-chat-spend', reason: 'CloudWatch alarm genai-chat-spend is in ALARM',
      openedAt: '2026-12-06T09:00:00.000Z', period: '2026-12', resetsAt: '2027-01-01T00:00:00.000Z', throttleTo: 0.25, retryAfterSeconds: 20,
    });
  });

  test.each([[1, 10], [3, 10], [1, 3], [7, 10], [1, 20], [2, 3], [999, 1000]])('share %i/%i: of every n requests exactly ⌈n·share⌉ pass, with no floating-point drift', async (num, den) => {
    const table = new StateTable();
    table.open('chat');
    const guard = guardOf(table, { defaultFeature: throttled(num / den) });

    const { admitted } = await offer(guard, 'chat', 3 * den + 7);

    // Counted exactly, in integers: after n requests, ⌈n·num/den⌉ admitted; so every run of den requests admits num.
    const passed = new Set(admitted);
    let soFar = 0;
    for (let n = 1; n <= 3 * den + 7; n++) {
      if (passed.has(n)) soFar++;
      expect(soFar).toBe(Math.floor((n * num + den - 1) / den));
    }
  });

  test('a critical feature is never throttled, and its breaker is not even read', async () => {
    const table = new StateTable();
    table.open('*');
    const guard = guardOf(table, { features: { billing: { critical: true, whenTripped: 'pause' } }, defaultFeature: throttled(0.25) });

    const { admitted } = await offer(guard, 'billing', 8);

    expect(admitted).toHaveLength(8);
    expect(table.reads).toBe(0);
  });

  test('when the breaker closes the full rate returns (once the cached state expires), and a new trip counts afresh', async () => {
    // Given chat throttled to a quarter, with 2 requests offered under the trip (the 1st admitted, the 2nd refused)
    const clock = { now: DEC_6 };
    const table = new StateTable();
    table.open('chat');
    const guard = guardOf(table, { cacheTtlSeconds: 30, defaultFeature: throttled(0.25) }, clock);
    expect((await offer(guard, 'chat', 2)).admitted).toEqual([1]);

    // When the breaker closes, Then within the TTL the cached trip still throttles, and after it every request passes
    table.close('chat');
    expect((await offer(guard, 'chat', 3, clock.now)).admitted).toEqual([3]);
    clock.now += 31_000;
    expect((await offer(guard, 'chat', 8, clock.now)).admitted).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // And when it trips again, the first request of the new trip is admitted, as the first of the last one was
    table.open('chat', '2026-12-06T10:05:00.000Z');
    clock.now += 31_000;
    expect((await offer(guard, 'chat', 5, clock.now)).admitted).toEqual([1, 5]);
  });

  test('each feature is thinned on its own: one feature\'s traffic never uses another\'s admissions', async () => {
    // Given the global breaker open, chat throttled to a half and search to a quarter
    const table = new StateTable();
    table.open('*');
    const guard = guardOf(table, { features: { chat: throttled(0.5), search: throttled(0.25) } });

    // When their requests interleave, 8 of each
    const outcomes: Record<string, boolean[]> = { chat: [], search: [] };
    for (let i = 0; i < 8; i++) {
      for (const feature of ['chat', 'search']) {
        const { admitted } = await offer(guard, feature, 1);
        outcomes[feature].push(admitted.length === 1);
      }
    }

    // Then each gets its own share of its own requests, and the refusal names the global breaker
    expect(outcomes.chat).toEqual([true, false, true, false, true, false, true, false]);
    expect(outcomes.search).toEqual([true, false, false, false, true, false, false, false]);
    const { refusals: [refusal] } = await offer(guard, 'search', 2);
    expect(refusal.message).toContain("the support application's global breaker is open");
    expect(refusal.details.breaker).toBe('*');
  });

  test('a pause and a downgrade are unchanged beside a throttled feature', async () => {
    const table = new StateTable();
    table.open('*');
    const guard = guardOf(table, { features: { chat: throttled(0.5), docs: { critical: false, whenTripped: 'pause' }, search: { critical: false, whenTripped: 'downgrade' } } });

    expect((await offer(guard, 'docs', 4)).refusals.map((e) => [e.status, e.code])).toEqual(Array(4).fill([503, 'FEATURE_PAUSED']));
    await expect(guard.admit({ requestId: 'd', tenantId: 't', userId: 'u', feature: 'search', path: 'converse', nowMs: DEC_6 })).resolves.toMatchObject({ maxTier: 'simple' });
    expect((await offer(guard, 'chat', 4)).admitted).toEqual([1, 3]);
  });
});

describe('fractionOf', () => {
  test('reads a share as the fraction it is written as, and keeps it strictly between 0 and 1', () => {
    expect([0.25, 0.1, 0.3, 2 / 3, 0.125, 0.000001].map(fractionOf)).toEqual([[1, 4], [1, 10], [3, 10], [2, 3], [1, 8], [1, 1_000_000]]);
    // Below a millionth it still admits one in a million, and just under 1 it still refuses one in a million.
    expect(fractionOf(1e-9)).toEqual([1, 1_000_000]);
    expect(fractionOf(1 - 1e-9)).toEqual([999_999, 1_000_000]);
  });
});
