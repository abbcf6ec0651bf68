import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BreakerHandlerConfig, ENV } from '../../../shared/contract';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { useDynamoDbLocal } from '../../support/dynamodb-local';

const eventOf = (name: string) => JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'packages', 'local', 'events', `${name}.json`), 'utf8'));

const dynamodb = useDynamoDbLocal();
const saved = { ...process.env };

afterAll(() => {
  process.env = saved;
});

/** The handler module as a new container loads it, with the environment the CircuitBreaker construct writes. */
async function loadHandler(tableName: string): Promise<(event: unknown) => Promise<any>> {
  await createBreakerTable(dynamodb.client, tableName);
  const config: Omit<BreakerHandlerConfig, 'application'> = {
    tableName, budgets: [{ name: 'genai-monthly-total', features: ['*'] }], alarms: [{ name: 'genai-support-chat-spend', features: ['support-chat'] }],
  };
  Object.assign(process.env, {
    [ENV.breakerConfig]: JSON.stringify(config),
    [ENV.tags]: JSON.stringify({ Application: 'customer-support', Feature: 'circuit-breaker' }),
    [ENV.dynamodbEndpoint]: dynamodb.endpoint,
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
  });
  let handler!: (event: unknown) => Promise<any>;
  jest.isolateModules(() => {
    handler = require('../../../lambda/breaker/handler').handler;
  });
  return handler;
}

describe('breaker handler (SNS → DynamoDB Local)', () => {
  const quiet = () => jest.spyOn(console, 'error').mockImplementation(() => undefined);

  test('a Budgets notification trips the global breaker of the application named by the Application tag', async () => {
    quiet();
    const handler = await loadHandler('breaker-handler-1');

    const decision = await handler(eventOf('sns-budgets-notification'));

    expect(decision).toEqual({ tripped: ['*'], reset: [], unchanged: [], changes: [{ feature: '*', outcome: 'opened', source: 'budget:genai-monthly-total' }] });
    const states = await new DynamoDbBreakerStore(dynamodb.client, 'breaker-handler-1').read('customer-support', ['*']);
    expect(states.get('*')).toMatchObject({ status: 'open', source: 'budget:genai-monthly-total', period: '2026-11' });
  });

  test('an alarm trips its feature, its OK resets it, and a reset payload of a closed breaker changes nothing', async () => {
    quiet();
    const handler = await loadHandler('breaker-handler-2');

    expect(await handler(eventOf('sns-cloudwatch-alarm'))).toEqual({ tripped: ['support-chat'], reset: [], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'opened', source: 'alarm:genai-support-chat-spend' }] });
    expect(await handler(eventOf('sns-cloudwatch-alarm-ok'))).toEqual({ tripped: [], reset: ['support-chat'], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'closed', source: 'alarm:genai-support-chat-spend' }] });
    expect(await handler({ reset: { feature: 'support-chat' } })).toEqual({ tripped: [], reset: [], unchanged: ['support-chat'], changes: [] });
  });

  test('an unparseable message is logged and ignored, not thrown', async () => {
    const errors = quiet();
    const handler = await loadHandler('breaker-handler-3');

    const decision = await handler({ Records: [{ Sns: { MessageId: 'x', Message: 'test publish from the console' } }] });

    expect(decision).toMatchObject({ tripped: [], reset: [], ignored: expect.stringMatching(/^unparseable: a text message that is not an AWS Budgets notification/) });
    expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).toContain('"message":"breaker ignored a message it cannot parse"');
  });
});
