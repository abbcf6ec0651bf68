import { Template } from 'aws-cdk-lib/assertions';
import { ApiWorkflow, CircuitBreaker, DocumentWorkflow, WhenTripped } from '../../../lib';
import { readBreakerHandlerConfig } from '../../../lambda/breaker/config';
import { decide } from '../../../lambda/breaker/decide';
import { parseBreakerEvent } from '../../../lambda/breaker/notifications';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { alertsOfBody } from '../../../lambda/notifier/alert-events';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { useDynamoDbLocal } from '../../support/dynamodb-local';
import { resolveIntrinsics } from '../../support/intrinsics';
import { createTestStack } from '../../support/test-app';
import { breakerDestinationInSqs, sampleSnsMessage } from './fixtures';

// From the construct to the chat message: the breaker's configuration says what a trip does to each feature, its
// decision carries it, and the alert says "throttled to 25 %" instead of "paused or downgraded".

const NOW = Date.parse('2026-11-27T14:01:00Z');
const ddb = useDynamoDbLocal();

/** The breaker function's configuration as synthesized beside a throttled chat and a paused summaries workflow. */
function synthesizedBreakerConfig(tableName: string) {
  const stack = createTestStack();
  const breaker = new CircuitBreaker(stack, 'Breaker', { application: 'customer-support' });
  new ApiWorkflow(stack, 'Chat', { tags: { feature: 'support-chat' }, circuitBreaker: breaker, whenTripped: WhenTripped.THROTTLE });
  new DocumentWorkflow(stack, 'Summaries', { tags: { feature: 'summaries' }, circuitBreaker: breaker });
  const fn = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('BreakerHandler'))![1] as any;
  const config = readBreakerHandlerConfig(resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>);
  return { ...config, tableName, alarms: [{ name: 'genai-support-chat-spend', features: ['support-chat'] }, { name: 'genai-total-spend', features: ['*'] }] };
}

/** The alerts the notifier makes of the breaker's decision on `message`. */
async function alertsOfTrip(message: ReturnType<typeof sampleSnsMessage>, tableName: string) {
  await createBreakerTable(ddb.client, tableName);
  const config = synthesizedBreakerConfig(tableName);
  const store = new DynamoDbBreakerStore(ddb.client, tableName, { now: () => NOW });
  const snsEvent = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: message.messageId, Subject: message.subject, Message: message.message, Timestamp: message.timestamp } }] };
  const decision = await decide(parseBreakerEvent(snsEvent), config, { store, now: () => NOW });
  return { config, decision, alerts: alertsOfBody(breakerDestinationInSqs(decision, 'b1e5c0de-0000-4000-8000-000000000301', 'sqs-effect', message).body, 'customer-support') };
}

describe('what a breaker alert says the trip does', () => {
  test('the construct writes each feature\'s effect, and every feature\'s for the global breaker', () => {
    expect(synthesizedBreakerConfig('t').effects).toEqual({
      'support-chat': 'throttled to 25 % of its requests (429 FEATURE_THROTTLED for the rest)',
      'summaries': 'paused (503 FEATURE_PAUSED)',
      '*': 'summaries paused (503 FEATURE_PAUSED); support-chat throttled to 25 % of its requests (429 FEATURE_THROTTLED for the rest)',
    });
  });

  test('a throttled feature\'s trip says it is throttled to 25 %', async () => {
    const { decision, alerts } = await alertsOfTrip(sampleSnsMessage('sns-cloudwatch-alarm'), 'breaker-effect-1');

    expect(decision.changes).toEqual([expect.objectContaining({ feature: 'support-chat', outcome: 'opened', effect: 'throttled to 25 % of its requests (429 FEATURE_THROTTLED for the rest)' })]);
    expect(alerts).toEqual([expect.objectContaining({
      kind: 'breaker', state: 'TRIPPED', feature: 'support-chat',
      detail: 'Feature support-chat is throttled to 25 % of its requests (429 FEATURE_THROTTLED for the rest) until the breaker closes.',
    })]);
  });

  test('a global trip says what it does to each feature', async () => {
    const message = sampleSnsMessage('sns-cloudwatch-alarm');
    const total = { ...message, message: JSON.stringify({ ...JSON.parse(message.message), AlarmName: 'genai-total-spend' }) };

    const { alerts } = await alertsOfTrip(total, 'breaker-effect-2');

    expect(alerts).toEqual([expect.objectContaining({
      state: 'TRIPPED', feature: '*',
      detail: 'Until the breaker closes: summaries paused (503 FEATURE_PAUSED); support-chat throttled to 25 % of its requests (429 FEATURE_THROTTLED for the rest).',
    })]);
  });

  test('a decision without effects (a breaker with no workflows of this app) describes the three modes in general', () => {
    const alerts = alertsOfBody(breakerDestinationInSqs(
      { tripped: ['support-chat'], reset: [], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'opened', source: 'alarm:genai-support-chat-spend' }] },
      'b1e5c0de-0000-4000-8000-000000000302', 'sqs-general',
    ).body);

    expect(alerts[0].detail).toBe('Non-critical requests of the feature are paused (503), throttled to a share of their rate (429 for the rest) or downgraded to a cheaper tier until the breaker closes.');
  });
});
