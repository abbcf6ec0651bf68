import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBreakerEvent, parseSnsMessage } from '../../../lambda/breaker/notifications';

const events = path.join(__dirname, '..', '..', '..', 'packages', 'local', 'events');
const eventOf = (name: string) => JSON.parse(readFileSync(path.join(events, `${name}.json`), 'utf8'));

describe('parseBreakerEvent', () => {
  test('reads an AWS Budgets notification: budget name, type, amounts, alert type and threshold', () => {
    const [n] = parseBreakerEvent(eventOf('sns-budgets-notification'));

    expect(n).toEqual({
      kind: 'budget', budgetName: 'genai-monthly-total', budgetType: 'Cost', budgetedAmount: '$5,000.00', alertType: 'ACTUAL',
      alertThreshold: '> $4,000.00', amount: '$4,212.37', messageId: '8d0f5d2e-3b4a-5c6d-9e8f-0a1b2c3d4e5f', sentAt: '2026-11-27T14:05:12.345Z',
    });
  });

  test('reads the period of a budget whose notification states it ("per day") and a FORECASTED alert', () => {
    const text = 'AWS Budget Notification March 05, 2026\nAWS Account 111122223333\n\nDear AWS Customer,\n\nYou requested that we alert you when the FORECASTED Cost associated with your daily-genai budget is greater than $20.00 per day.\n\n'
      + 'Budget Name: daily-genai\nBudget Type: Cost\nBudgeted Amount: $25.00\nAlert Type: FORECASTED\nAlert Threshold: > $20.00\nFORECASTED Amount: $31.10\n';

    expect(parseSnsMessage(text)).toMatchObject({ kind: 'budget', budgetName: 'daily-genai', alertType: 'FORECASTED', amount: '$31.10', periodUnit: 'day' });
  });

  test('reads a CloudWatch alarm going to ALARM and back to OK', () => {
    const [alarm] = parseBreakerEvent(eventOf('sns-cloudwatch-alarm'));
    const [ok] = parseBreakerEvent(eventOf('sns-cloudwatch-alarm-ok'));

    expect(alarm).toMatchObject({ kind: 'alarm', alarmName: 'genai-support-chat-spend', state: 'ALARM', changedAt: '2026-11-27T14:00:41.519+0000' });
    expect((alarm as { reason: string }).reason).toContain('was greater than the threshold (25.0)');
    expect(ok).toMatchObject({ kind: 'alarm', alarmName: 'genai-support-chat-spend', state: 'OK' });
  });

  test('reads a manual reset payload', () => {
    expect(parseBreakerEvent({ reset: { feature: 'support-chat', reason: 'budget raised' } }))
      .toEqual([{ kind: 'reset', feature: 'support-chat', reason: 'budget raised' }]);
  });

  test.each([
    ['plain text that is not a Budgets notification', 'Hello from a test publish'],
    ['a Budgets-like text without a budget name', 'AWS Budget Notification\nAlert Type: ACTUAL'],
    ['JSON that does not parse', '{"AlarmName": '],
    ['JSON that is not an alarm state change', '{"hello": "world"}'],
    ['an alarm with an unknown state', '{"AlarmName": "a", "NewStateValue": "MAYBE"}'],
  ])('marks %s as unparseable instead of throwing', (_what, message) => {
    const [n] = parseBreakerEvent({ Records: [{ Sns: { MessageId: 'm-1', Message: message } }] });

    expect(n).toMatchObject({ kind: 'unparseable', messageId: 'm-1' });
  });

  test.each([
    ['an empty object', {}],
    ['null', null],
    ['a record without an SNS message', { Records: [{ s3: {} }] }],
    ['a reset without a feature', { reset: {} }],
  ])('marks %s as unparseable', (_what, event) => {
    expect(parseBreakerEvent(event)[0].kind).toBe('unparseable');
  });
});
