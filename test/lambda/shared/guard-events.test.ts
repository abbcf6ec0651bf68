import { GUARD_EVENT_DIMENSIONS, METRIC_DIMENSIONS } from '../../../shared/contract';
import { guardsFor, resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { normalizeConfig } from '../../../lambda/pipeline/config';
import type { LedgerEvent } from '../../../lambda/pipeline/guards/ledger-guard';
import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { resetClients } from '../../../lambda/shared/clients';
import { breakerUnavailableReporter, LEDGER_EVENT_MESSAGE, ledgerEventReporter } from '../../../lambda/shared/guard-events';
import { ctx, NOW } from '../pipeline/guards/ledger-support';
import { emfRecords, sampleRecord, sampleResult, stdoutLinesOf } from '../pipeline/support';

const FAIL_OPEN: LedgerEvent = {
  kind: 'failOpen', scope: 'user', window: 'minute', tenantId: 'iam:acme', userId: 'user-1', feature: 'chat', error: 'ECONNREFUSED',
};
const HOLDS_EXPIRED: LedgerEvent = {
  kind: 'holdsExpired', scope: 'tenant', window: 'month', tenantId: 'iam:acme', userId: 'user-1', feature: 'chat', tokens: 4_200, costUsd: 0.0375,
};

/** What one call writes to stdout (EMF) and to stderr (the structured log). */
async function outputOf(fn: () => unknown): Promise<{ emf: Array<Record<string, any>>; logs: Array<Record<string, any>> }> {
  const logs: Array<Record<string, any>> = [];
  const errors = jest.spyOn(console, 'error').mockImplementation((line: string) => { logs.push(JSON.parse(line)); });
  try {
    return { emf: emfRecords(await stdoutLinesOf(fn)), logs };
  } finally {
    errors.mockRestore();
  }
}

describe('guard events through the Powertools recorder', () => {
  test('a ledger event is one EMF record: its metric, dimension Application only, the rest as properties', async () => {
    const report = ledgerEventReporter('support', new PowertoolsRecorder());

    const { emf } = await outputOf(() => report(FAIL_OPEN));

    expect(emf).toHaveLength(1);
    const directive = emf[0]._aws.CloudWatchMetrics[0];
    expect(directive).toEqual({ Namespace: 'GenAI/FinOps', Dimensions: [[...GUARD_EVENT_DIMENSIONS]], Metrics: [{ Name: 'GuardFailOpen', Unit: 'Count' }] });
    expect(emf[0]).toEqual({
      _aws: expect.anything(), Application: 'support', GuardFailOpen: 1,
      guard: 'usage-ledger', scope: 'user', window: 'minute', tenantId: 'iam:acme', userId: 'user-1', feature: 'chat', error: 'ECONNREFUSED',
    });
  });

  test('each ledger event kind has its metric', async () => {
    const report = ledgerEventReporter('support', new PowertoolsRecorder());

    const { emf } = await outputOf(() => {
      report(FAIL_OPEN);
      report({ ...FAIL_OPEN, kind: 'failClosed' });
      report(HOLDS_EXPIRED);
    });

    expect(emf.map((e) => e._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual(['GuardFailOpen', 'GuardFailClosed', 'GuardHoldsExpired']);
    expect(emf.map((e) => e.GuardFailOpen ?? e.GuardFailClosed ?? e.GuardHoldsExpired)).toEqual([1, 1, 1]);
  });

  test('what expired holds gave back stays numeric, so Logs Insights can sum it', async () => {
    const { emf } = await outputOf(() => ledgerEventReporter('support', new PowertoolsRecorder())(HOLDS_EXPIRED));

    expect(emf[0]).toMatchObject({ tokens: 4_200, costUsd: 0.0375 });
  });

  test('a ledger event is also a structured warning with its stable message', async () => {
    const { logs } = await outputOf(() => ledgerEventReporter('support', new PowertoolsRecorder())(FAIL_OPEN));

    expect(logs).toEqual([expect.objectContaining({ level: 'WARN', message: LEDGER_EVENT_MESSAGE.failOpen, guard: 'usage-ledger', scope: 'user', tenantId: 'iam:acme' })]);
  });

  test("the breaker's fail-open read counts under the pipeline's dimensions, Model none", async () => {
    const { emf } = await outputOf(() => breakerUnavailableReporter('support', new PowertoolsRecorder())('chat'));

    expect(emf).toHaveLength(1);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'GenAI/FinOps', Dimensions: [[...METRIC_DIMENSIONS]], Metrics: [{ Name: 'BreakerUnavailable', Unit: 'Count' }],
    });
    expect(emf[0]).toEqual({ _aws: expect.anything(), Application: 'support', Feature: 'chat', Model: 'none', BreakerUnavailable: 1 });
  });

  test('a guard event between two spend records on one recorder takes nothing from them and leaves nothing behind', async () => {
    const recorder = new PowertoolsRecorder();
    const spend = sampleRecord(sampleResult());
    const now = jest.spyOn(Date, 'now').mockReturnValue(NOW);

    const { emf } = await outputOf(() => {
      recorder.record(spend);
      ledgerEventReporter('support', recorder)(FAIL_OPEN);
      recorder.record(spend);
    }).finally(() => now.mockRestore());

    expect(emf).toHaveLength(3);
    expect(emf[1]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Application']]);
    expect(emf[1]).not.toHaveProperty('Requests');
    expect(emf[1]).not.toHaveProperty('Feature');
    expect(emf[2]).not.toHaveProperty('guard');
    expect(emf[2]).not.toHaveProperty('GuardFailOpen');
    expect(emf[2]).toEqual(emf[0]);
  });
});

describe("the container's guards report through its recorder", () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // A port nothing listens on: the breaker table and the ledger are both unreachable.
    Object.assign(process.env, {
      GENAI_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    });
    resetClients();
    resetContainer();
  });
  afterAll(() => {
    process.env = saved;
    resetClients();
    resetContainer();
  });

  test('an unreachable breaker table and ledger write BreakerUnavailable and GuardFailOpen records', async () => {
    const config = normalizeConfig({
      tiers: { simple: { invokeId: 'm', modelId: 'm' } },
      tags: { Application: 'support', Feature: 'chat' },
      guards: {
        store: 'dynamodb', ledgerTableName: 'ledger', ledgerTimeoutMs: 2_000,
        usageLimits: [{ scope: 'user', window: 'minute', maxRequests: 10 }],
        breaker: { tableName: 'breaker', cacheTtlSeconds: 30, features: {}, readTimeoutMs: 2_000 },
      },
    });
    const [breaker, ledger] = guardsFor(config);

    const { emf } = await outputOf(async () => {
      await breaker.admit!(ctx());
      await ledger.admit!(ctx());
    });

    expect(emf.map((e) => e._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual(['BreakerUnavailable', 'GuardFailOpen']);
    expect(emf[0]).toMatchObject({ Application: 'support', Feature: 'chat', Model: 'none' });
    expect(emf[1]).toMatchObject({ Application: 'support', feature: 'chat', scope: 'user', window: 'minute' });
  });
});
