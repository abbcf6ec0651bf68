import { SpendAmount, SpendContext, SpendGuard } from '../../../../lambda/pipeline/guards';
import { PipelineError } from '../../../../lambda/pipeline/errors';
import { SpendPort } from '../../../../lambda/pipeline/spend';

// The pipeline asks the spend port for a pending spend and says hit or miss; how the port saves a round trip (a guard
// that counts the request in its reservation reserves beside the cache read) is the port's business. These tests
// hold the port to what each guard is then asked, in which order.

const context: SpendContext = { requestId: 'req-1', tenantId: 't', userId: 'u', feature: 'chat', path: 'converse', nowMs: Date.UTC(2026, 11, 1) };
const bound: SpendAmount = { tokens: 1_000, cacheReadTokens: 0, costAtto: 5n * 10n ** 15n };

/** A guard that logs every call it gets, as `<name>.<call>`, and refuses what it is told to. */
class LoggingGuard implements SpendGuard {
  constructor(readonly name: string, private readonly log: string[], readonly admitsWhenReserving = false, private readonly refuses = false) {}
  async admit() {
    this.log.push(`${this.name}.admit`);
  }
  async reserve(_c: SpendContext, _e: SpendAmount, admits = false) {
    this.log.push(`${this.name}.reserve${admits ? '+admit' : ''}`);
    if (this.refuses) throw new PipelineError(429, 'USAGE_LIMIT_EXCEEDED', 'over', { measure: 'tokens' });
    return `${this.name}-hold`;
  }
  async settle(_c: SpendContext, hold: string | undefined, _r: SpendAmount, actual: SpendAmount) {
    this.log.push(`${this.name}.settle(${hold}, ${actual.tokens})`);
  }
}

function port(guards: (log: string[]) => SpendGuard[]) {
  const log: string[] = [];
  return { port: new SpendPort(guards(log)), log };
}

describe('a pending spend', () => {
  test('with a guard that counts the request in its reservation, that guard reserves instead of admitting, and a hit gives the tokens back', async () => {
    const { port: spend, log } = port((l) => [new LoggingGuard('breaker', l), new LoggingGuard('ledger', l, true)]);

    const pending = await spend.pending(context);
    pending.bound(bound);
    const hit = await pending.hit();

    expect(log).toEqual(['breaker.admit', 'ledger.reserve+admit', 'ledger.settle(ledger-hold, 0)']);
    expect(hit).toEqual({ settleFailures: 0 });
  });

  test('on a miss, the other guards reserve after the early one, and the reservation holds both', async () => {
    const { port: spend, log } = port((l) => [new LoggingGuard('quota', l), new LoggingGuard('ledger', l, true)]);

    const pending = await spend.pending(context);
    pending.bound(bound);
    const reservation = await pending.miss();

    expect(log).toEqual(['quota.admit', 'ledger.reserve+admit', 'quota.reserve']);
    expect(reservation).toEqual({ estimate: bound, holds: [{ guard: 'ledger', hold: 'ledger-hold' }, { guard: 'quota', hold: 'quota-hold' }] });
  });

  test('when another guard refuses on a miss, the early hold is given back and the refusal stands', async () => {
    const { port: spend, log } = port((l) => [new LoggingGuard('quota', l, false, true), new LoggingGuard('ledger', l, true)]);

    const pending = await spend.pending(context);
    pending.bound(bound);

    await expect(pending.miss()).rejects.toMatchObject({ status: 429 });
    expect(log).toEqual(['quota.admit', 'ledger.reserve+admit', 'quota.reserve', 'ledger.settle(ledger-hold, 0)']);
  });

  test('when the early reservation was refused and the cache answers, that guard admits after all: a spent quota never blocks a hit', async () => {
    const { port: spend, log } = port((l) => [new LoggingGuard('ledger', l, true, true)]);

    const pending = await spend.pending(context);
    pending.bound(bound);

    await expect(pending.hit()).resolves.toEqual({ settleFailures: 0 });
    expect(log).toEqual(['ledger.reserve+admit', 'ledger.admit']);
  });

  test('without such a guard, every guard admits first and a miss reserves on all of them, nothing reserved for a hit', async () => {
    const { port: spend, log } = port((l) => [new LoggingGuard('breaker', l), new LoggingGuard('quota', l)]);

    const hitting = await spend.pending(context);
    hitting.bound(bound);
    await hitting.hit();
    const missing = await spend.pending(context);
    missing.bound(bound);
    await missing.miss();

    expect(log).toEqual(['breaker.admit', 'quota.admit', 'breaker.admit', 'quota.admit', 'breaker.reserve', 'quota.reserve']);
  });

  test('a miss before the call was bounded is a programming error, said so', async () => {
    const { port: spend } = port((l) => [new LoggingGuard('quota', l)]);

    const pending = await spend.pending(context);

    await expect(pending.miss()).rejects.toThrow(/bound\(estimate\) before the cache read/);
  });

  test('a smaller estimate after a token refusal of the early reservation is reserved again, counting the request once', async () => {
    const log: string[] = [];
    let refusals = 1;
    const ledger: SpendGuard = {
      name: 'ledger', admitsWhenReserving: true,
      async reserve(_c, estimate, admits) {
        log.push(`ledger.reserve${admits ? '+admit' : ''}(${estimate.tokens})`);
        if (refusals-- > 0) throw new PipelineError(429, 'USAGE_LIMIT_EXCEEDED', 'over', { measure: 'tokens' });
        return 'hold';
      },
    };
    const spend = new SpendPort([ledger]);

    const pending = await spend.pending(context);
    pending.bound(bound);
    const reservation = await pending.miss(async () => ({ ...bound, tokens: 400 }));

    // The refused reservation was withdrawn whole (request included): the retry counts the request again, once.
    expect(log).toEqual(['ledger.reserve+admit(1000)', 'ledger.reserve+admit(400)']);
    expect(reservation.estimate.tokens).toBe(400);
  });
});
