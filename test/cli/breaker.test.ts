import { tableWithTrippedSupportChat, useDynamoDbLocal } from '../support/dynamodb-local';
import { CliRun, eventFile, runCli } from './run-cli';

describe('genai-finops local invoke --workflow breaker', () => {
  let budget: CliRun;
  let alarm: CliRun;
  // Each run starts its own DynamoDB Local JVM: on a loaded CI machine two at once take well over the 45 s runCli
  // allows by default (the bounds only catch a hang, as in local-invoke.test.ts).
  beforeAll(async () => {
    [budget, alarm] = await Promise.all([
      runCli(['local', 'invoke', '--workflow', 'breaker', '--event', eventFile('sns-budgets-notification')], 120_000),
      runCli(['local', 'invoke', '--workflow', 'breaker', '--event', eventFile('sns-cloudwatch-alarm')], 120_000),
    ]);
  }, 150_000);

  test('prints only the decision as JSON on stdout: the budget trips the global breaker', () => {
    expect({ code: budget.code, stderr: budget.code === 0 ? '' : budget.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(budget.stdout)).toEqual({ tripped: ['*'], reset: [], unchanged: [], changes: [{ feature: '*', outcome: 'opened', source: 'budget:genai-monthly-total' }] });
    expect(budget.stderr).toContain('"message":"breaker decision"');
  });

  test('the spend alarm trips the support chat', () => {
    expect(alarm.code).toBe(0);
    expect(JSON.parse(alarm.stdout)).toEqual({ tripped: ['support-chat'], reset: [], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'opened', source: 'alarm:genai-support-chat-spend' }] });
  });
});

describe('genai-finops breaker reset', () => {
  const dynamodb = useDynamoDbLocal();
  const env = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(() => {
    // The CLI uses the SDK's default credential chain; DynamoDB Local accepts any keys.
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
  });
  afterAll(() => {
    Object.assign(process.env, env);
  });
  const trippedTable = (name: string) => tableWithTrippedSupportChat(dynamodb.client, name);

  test('closes the breaker, prints what it did, and audits the reset with the reason', async () => {
    const store = await trippedTable('cli-reset-1');

    const run = await runCli(['breaker', 'reset', '--table', 'cli-reset-1', '--feature', 'support-chat', '--application', 'customer-support',
      '--reason', 'budget raised', '--endpoint', dynamodb.endpoint, '--region', 'us-east-1']);

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ application: 'customer-support', feature: 'support-chat', reset: ['support-chat'], unchanged: [] });
    expect((await store.read('customer-support', ['support-chat'])).get('support-chat')).toMatchObject({ status: 'closed' });
    const audit = await store.history('customer-support', 'support-chat');
    expect(audit.map((a) => a.action)).toEqual(['open', 'reset']);
    expect(audit[1]).toMatchObject({ reason: 'budget raised', source: expect.stringMatching(/^cli:/) });
  }, 60_000); // above runCli's own 45 s bound: a CLI process loads the SDK, seconds on a loaded CI machine

  test('finds the application when --application is left out', async () => {
    await trippedTable('cli-reset-2');

    const run = await runCli(['breaker', 'reset', '--table', 'cli-reset-2', '--feature', 'support-chat', '--endpoint', dynamodb.endpoint, '--region', 'us-east-1']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ application: 'customer-support', reset: ['support-chat'] });
  }, 60_000);

  test('fails with usage help when --table is missing', async () => {
    const run = await runCli(['breaker', 'reset', '--feature', 'support-chat']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --table T');
    expect(run.stderr).toContain("Run 'genai-finops breaker reset --help'");
  });
});
