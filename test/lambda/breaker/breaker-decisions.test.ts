import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BreakerHandlerConfig } from '../../../shared/contract';
import { decide } from '../../../lambda/breaker/decide';
import { parseBreakerEvent } from '../../../lambda/breaker/notifications';
import { effectiveState } from '../../../lambda/breaker/state';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { useDynamoDbLocal } from '../../support/dynamodb-local';

const events = path.join(__dirname, '..', '..', '..', 'packages', 'local', 'events');
const eventOf = (name: string) => JSON.parse(readFileSync(path.join(events, `${name}.json`), 'utf8'));
const BUDGET = eventOf('sns-budgets-notification');
const ALARM = eventOf('sns-cloudwatch-alarm');
const ALARM_OK = eventOf('sns-cloudwatch-alarm-ok');
const NOV_27 = Date.UTC(2026, 10, 27, 16, 0, 0);

const dynamodb = useDynamoDbLocal();
let tableNumber = 0;

/** A fresh table, its store, a configuration like the example app's, and a clock the test moves. */
async function fixture(overrides: Partial<BreakerHandlerConfig> = {}) {
  const tableName = `breaker-${++tableNumber}`;
  await createBreakerTable(dynamodb.client, tableName);
  const clock = { now: NOV_27 };
  const store = new DynamoDbBreakerStore(dynamodb.client, tableName, { now: () => clock.now });
  const config: BreakerHandlerConfig = {
    tableName, application: 'customer-support',
    budgets: [{ name: 'genai-monthly-total', features: ['*'] }, { name: 'docs-budget', features: ['ticket-attachments', 'conversation-digest'] }],
    alarms: [{ name: 'genai-support-chat-spend', features: ['support-chat'] }],
    ...overrides,
  };
  const run = (event: unknown) => decide(parseBreakerEvent(event), config, { store, now: () => clock.now });
  const stateOf = async (feature: string) => effectiveState(feature, (await store.read('customer-support', [feature])).get(feature), clock.now);
  return { store, config, clock, run, stateOf };
}

function budgetEvent(name: string, messageId: string, timestamp = '2026-11-27T14:05:12.345Z') {
  const event = structuredClone(BUDGET);
  event.Records[0].Sns.Message = event.Records[0].Sns.Message.replace(/genai-monthly-total/g, name);
  event.Records[0].Sns.MessageId = messageId;
  event.Records[0].Sns.Timestamp = timestamp;
  return event;
}

/** The alarm notification with another state, state change time and SNS message id (SNS redelivers and reorders). */
function alarmEvent(state: 'ALARM' | 'OK', stateChangeTime: string, messageId: string) {
  const event = structuredClone(state === 'ALARM' ? ALARM : ALARM_OK);
  event.Records[0].Sns.Message = JSON.stringify({ ...JSON.parse(event.Records[0].Sns.Message), StateChangeTime: stateChangeTime });
  event.Records[0].Sns.MessageId = messageId;
  return event;
}

describe('breaker decisions against DynamoDB Local', () => {
  test('a budget mapped to * opens the global breaker for the budget period, with an audit item saying why', async () => {
    const { run, stateOf, store } = await fixture();

    const decision = await run(BUDGET);

    expect(decision).toEqual({ tripped: ['*'], reset: [], unchanged: [], changes: [{ feature: '*', outcome: 'opened', source: 'budget:genai-monthly-total' }] });
    expect(await stateOf('*')).toMatchObject({ open: true, source: 'budget:genai-monthly-total', period: '2026-11', resetsAt: '2026-12-01T00:00:00.000Z' });
    const audit = await store.history('customer-support', '*');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'open', source: 'budget:genai-monthly-total', period: '2026-11', messageId: '8d0f5d2e-3b4a-5c6d-9e8f-0a1b2c3d4e5f' });
    expect(audit[0].reason).toBe("AWS Budgets: the ACTUAL cost of budget 'genai-monthly-total' is $4,212.37, over its alert threshold > $4,000.00 (budgeted $5,000.00)");
  });

  test('a budget mapped to features trips exactly those features', async () => {
    const { run, stateOf } = await fixture();

    const decision = await run(budgetEvent('docs-budget', 'm-docs'));

    expect(decision.tripped).toEqual(['ticket-attachments', 'conversation-digest']);
    expect((await stateOf('ticket-attachments')).open).toBe(true);
    expect((await stateOf('support-chat')).open).toBe(false);
    expect((await stateOf('*')).open).toBe(false);
  });

  test('the same notification twice changes nothing the second time and writes one audit item', async () => {
    const { run, stateOf, store } = await fixture();
    await run(BUDGET);
    const before = await store.read('customer-support', ['*']);

    const again = await run(BUDGET);

    expect(again).toEqual({ tripped: [], reset: [], unchanged: ['*'], changes: [] });
    expect(await store.read('customer-support', ['*'])).toEqual(before);
    expect(await store.history('customer-support', '*')).toHaveLength(1);
    expect((await stateOf('*')).open).toBe(true);
  });

  test('a repeated ALARM for an open breaker changes nothing; its OK closes what it opened', async () => {
    const { run, stateOf, store } = await fixture();

    expect((await run(ALARM)).tripped).toEqual(['support-chat']);
    expect((await run(ALARM)).unchanged).toEqual(['support-chat']);
    expect((await run(ALARM_OK)).reset).toEqual(['support-chat']);
    expect((await run(ALARM_OK)).unchanged).toEqual(['support-chat']);

    expect((await stateOf('support-chat')).open).toBe(false);
    expect((await store.history('customer-support', 'support-chat')).map((a) => a.action)).toEqual(['open', 'close']);
  });

  test("an alarm's OK does not close a breaker a budget also holds open: budgets do not close, the period does", async () => {
    const { run, stateOf, clock } = await fixture({ budgets: [{ name: 'genai-monthly-total', features: ['support-chat'] }] });
    await run(ALARM);
    expect((await run(BUDGET)).changes).toEqual([{ feature: 'support-chat', outcome: 'joined', source: 'budget:genai-monthly-total', heldBy: ['alarm:genai-support-chat-spend'] }]);

    const ok = await run(ALARM_OK);

    expect(ok.reset).toEqual(['support-chat']); // the alarm let go...
    // ...and says so: a release, naming who still holds it, not a close (the notifier posts no recovery for it).
    expect(ok.changes).toEqual([{ feature: 'support-chat', outcome: 'released', source: 'alarm:genai-support-chat-spend', heldBy: ['budget:genai-monthly-total'] }]);
    expect((await stateOf('support-chat')).open).toBe(true); // ...the budget still holds it
    clock.now = Date.UTC(2026, 11, 1, 0, 0, 1);
    expect((await stateOf('support-chat')).open).toBe(false); // December: the period reset closed it
  });

  test('a breaker opened in one period is closed in the next, and the next budget notification opens it again', async () => {
    const { run, stateOf, clock, store } = await fixture();
    await run(BUDGET);
    clock.now = Date.UTC(2026, 11, 3);

    expect((await stateOf('*')).open).toBe(false);
    const december = await run(budgetEvent('genai-monthly-total', 'm-dec', '2026-12-03T08:00:00.000Z'));

    expect(december.tripped).toEqual(['*']);
    expect(await stateOf('*')).toMatchObject({ open: true, period: '2026-12' });
    expect(await store.history('customer-support', '*')).toHaveLength(2);
  });

  test('a manual reset closes the breaker, is audited, and a redelivery of the old notification does not re-open it', async () => {
    const { run, stateOf, store, clock } = await fixture();
    await run(BUDGET);
    clock.now = Date.UTC(2026, 10, 27, 18, 0, 0);

    const reset = await run({ reset: { feature: '*', actor: 'ops@example.com', reason: 'budget raised to $8,000' } });
    const redelivered = await run(BUDGET);

    expect(reset).toEqual({ tripped: [], reset: ['*'], unchanged: [], changes: [{ feature: '*', outcome: 'closed', source: 'manual:ops@example.com' }] });
    expect(redelivered.unchanged).toEqual(['*']);
    expect((await stateOf('*')).open).toBe(false);
    const audit = await store.history('customer-support', '*');
    expect(audit.map((a) => [a.action, a.source, a.reason])).toEqual([
      ['open', 'budget:genai-monthly-total', expect.any(String)],
      ['reset', 'ops@example.com', 'budget raised to $8,000'],
    ]);
    // A later notification (the next threshold) trips it again
    expect((await run(budgetEvent('genai-monthly-total', 'm-later', '2026-11-28T09:00:00.000Z'))).tripped).toEqual(['*']);
  });

  test('an OK delivered before its ALARM leaves the breaker closed: transitions are ordered by StateChangeTime', async () => {
    const { run, stateOf } = await fixture();
    const alarm = alarmEvent('ALARM', '2026-11-27T14:00:41.519+0000', 'm-alarm');
    const ok = alarmEvent('OK', '2026-11-27T15:32:10.004+0000', 'm-ok');

    expect((await run(ok)).unchanged).toEqual(['support-chat']);
    const late = await run(alarm);

    expect(late).toEqual({ tripped: [], reset: [], unchanged: ['support-chat'], changes: [] });
    expect((await stateOf('support-chat')).open).toBe(false);
  });

  test('an ALARM redelivered after its OK does not re-open the breaker; a later ALARM does', async () => {
    const { run, stateOf, store } = await fixture();
    const alarm = alarmEvent('ALARM', '2026-11-27T14:00:41.519+0000', 'm-alarm');

    await run(alarm);
    await run(alarmEvent('OK', '2026-11-27T15:32:10.004+0000', 'm-ok'));
    expect((await run(alarm)).unchanged).toEqual(['support-chat']);
    expect((await run(alarmEvent('OK', '2026-11-27T15:32:10.004+0000', 'm-ok'))).unchanged).toEqual(['support-chat']);
    expect((await stateOf('support-chat')).open).toBe(false);

    expect((await run(alarmEvent('ALARM', '2026-11-27T16:10:00.000+0000', 'm-alarm-2'))).tripped).toEqual(['support-chat']);
    expect((await stateOf('support-chat')).open).toBe(true);
    expect((await store.history('customer-support', 'support-chat')).map((a) => a.action)).toEqual(['open', 'close', 'open']);
  });

  test('unmapped budgets and alarms, INSUFFICIENT_DATA and garbage are ignored with a reason', async () => {
    const { run } = await fixture();
    const insufficient = structuredClone(ALARM);
    insufficient.Records[0].Sns.Message = JSON.stringify({ ...JSON.parse(ALARM.Records[0].Sns.Message), NewStateValue: 'INSUFFICIENT_DATA' });
    const otherAlarm = structuredClone(ALARM);
    otherAlarm.Records[0].Sns.Message = JSON.stringify({ ...JSON.parse(ALARM.Records[0].Sns.Message), AlarmName: 'cpu-high' });

    expect((await run(budgetEvent('marketing', 'm-x'))).ignored).toBe("budget 'marketing' is not mapped to any feature");
    expect((await run(otherAlarm)).ignored).toBe("alarm 'cpu-high' is not mapped to any feature");
    expect((await run(insufficient)).ignored).toMatch(/INSUFFICIENT_DATA, which neither trips nor resets/);
    expect(await run({ Records: [{ Sns: { Message: 'not a notification' } }] })).toMatchObject({ tripped: [], reset: [], ignored: expect.stringMatching(/^unparseable:/) });
  });
});
