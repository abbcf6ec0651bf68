import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Browser } from 'playwright-core';
import { AlertDelivery, GenAiAlarms, GenAiDashboard, MonitoredWorkflows } from '../../../lib';
import { templateResolver } from '../../../lib/finops-checks/template-resolver';
import { BreakerHandlerConfig, NotifierConfig } from '../../../shared/contract';
import { readNotifierConfig } from '../../../lambda/notifier/config';
import { alertTimeBudgetMs, createNotifier } from '../../../lambda/notifier/notifier';
import { launchChromium } from '../../../packages/local/src/demo/html/chromium';
import { localClientConfig, localS3ClientConfig, LocalS3, startLocalS3 } from '../../../packages/local/src/services';
import { useDynamoDbLocal } from '../../support/dynamodb-local';
import { captureLogs, setHandlerEnv } from '../../support/handler-env';
import { resetClients } from '../../../lambda/shared/clients';
import { handler, resetNotifier } from '../../../lambda/notifier/handler';
import { createTestStack } from '../../support/test-app';
import { decide } from '../../../lambda/breaker/decide';
import { parseBreakerEvent } from '../../../lambda/breaker/notifications';
import { DynamoDbBreakerStore } from '../../../lambda/breaker/state-store';
import { createBreakerTable } from '../../../packages/local/src/demo/resources';
import { anomalyMessage, breakerDestinationInSqs, sampleSnsMessage, snsInSqs, sqsEvent } from './fixtures';
import { LocalAwsJson, startLocalAwsJson, startWebhookReceiver, WebhookReceiver } from './loopback';
import { drawMetricWidget } from './widget-image';

// The notifier against real SDK clients over loopback: DynamoDB Local (claims), a local S3 (pictures), CloudWatch's
// GetMetricWidgetImage drawn in Chromium, Secrets Manager, and an incoming-webhook receiver on 127.0.0.1.

const NOW = Date.parse('2026-11-27T14:01:00Z');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:genai-alerts-webhook-AbCdEf';
const HTTP_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:plain-http-webhook-AbCdEf';
const WEBHOOK_TOKEN = 'T0000000/B0000000/XyzSecretWebhookToken42';
// A day of hourly spend climbing to the alarm's 31.42.
const HOURLY_COST = [2.1, 2.0, 1.8, 1.7, 1.9, 2.4, 3.1, 4.2, 5.0, 5.6, 6.1, 6.3, 6.0, 6.4, 7.9, 9.8, 12.6, 15.1, 18.7, 22.4, 25.9, 28.3, 30.1, 31.42];

const ddb = useDynamoDbLocal();
let s3: LocalS3;
let aws: LocalAwsJson;
let receiver: WebhookReceiver;
let browser: Browser;
let synthesized: NotifierConfig;
let logs: ReturnType<typeof captureLogs>;
let tableCount = 0;

beforeAll(async () => {
  browser = await launchChromium();
  // One chart drawn before the tests: Chromium's first page is the slow one (seconds on a loaded CI machine), and the
  // notifier gives a chart 10 s (CHART_TIMEOUT_MS) before posting without it.
  await drawMetricWidget(browser, { title: 'warm-up', metrics: [], width: 600, height: 300 }, HOURLY_COST);
  receiver = await startWebhookReceiver();
  s3 = await startLocalS3();
  aws = await startLocalAwsJson({
    secrets: { [SECRET_ARN]: receiver.url(`/services/${WEBHOOK_TOKEN}`), [HTTP_SECRET_ARN]: 'http://hooks.example.com/services/T1/B1/plain' },
    drawWidget: (widget) => drawMetricWidget(browser, widget, HOURLY_COST),
  });
  await new S3Client(localS3ClientConfig(s3.endpoint)).send(new CreateBucketCommand({ Bucket: 'alert-images' }));
  synthesized = synthesizedConfig();
}, 60_000);

afterAll(async () => {
  await Promise.all([receiver?.stop(), s3?.stop(), aws?.stop(), browser?.close()]);
});

beforeEach(() => {
  receiver.posts.length = 0;
  aws.widgets.length = 0;
  logs = captureLogs();
});
afterEach(() => logs.restore());

// The configuration the construct writes, read as the function reads it, pointed at the local resources.
function synthesizedConfig(): NotifierConfig {
  const stack = createTestStack();
  const workflow = MonitoredWorkflows.of({ application: 'customer-support', feature: 'support-chat', models: ['anthropic.claude-haiku-4-5-20251001-v1:0'] });
  const alarms = new GenAiAlarms(stack, 'Alarms', { workflows: [workflow], hourlySpendThresholdUsd: 25 });
  const dashboard = new GenAiDashboard(stack, 'Dashboard', { workflows: [workflow], dashboardName: 'genai-customer-support' });
  const delivery = new AlertDelivery(stack, 'Alerts', {
    topics: [alarms.topic], webhookSecret: new secretsmanager.Secret(stack, 'Webhook'), workflows: [workflow], dashboard, application: 'customer-support',
  });
  const template = Template.fromStack(stack).toJSON();
  const fn = template.Resources[stack.getLogicalId(delivery.notifier!.function.node.defaultChild as any)];
  return readNotifierConfig(templateResolver(template).resolve(fn.Properties.Environment.Variables));
}

async function notifierWith(overrides: Partial<NotifierConfig> = {}, dynamodb: DynamoDBClient = ddb.client) {
  const claimsTable = `claims-${++tableCount}`;
  await ddb.client.send(new CreateTableCommand({
    TableName: claimsTable, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  }));
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return createNotifier({
    // The receiver listens on http://127.0.0.1: the local setting the construct never writes lets the notifier post to it.
    config: { ...synthesized, webhookSecretArn: SECRET_ARN, claimsTable, imageBucket: 'alert-images', allowLoopbackHttp: true, ...overrides },
    region: 'us-east-1',
    dynamodb,
    s3: new S3Client(localS3ClientConfig(s3.endpoint)),
    cloudwatch: new CloudWatchClient({ ...local, endpoint: aws.endpoint }),
    secrets: new SecretsManagerClient({ ...localClientConfig(aws.endpoint) }),
    now: () => NOW,
  });
}

const alarm = () => snsInSqs(sampleSnsMessage('sns-cloudwatch-alarm'), 'sqs-alarm');
const budget = () => snsInSqs(sampleSnsMessage('sns-budgets-notification'), 'sqs-budget');
const anomaly = () => snsInSqs(anomalyMessage(), 'sqs-anomaly');
const SPEND_ALARM = 'alarm:genai-support-chat-spend';
const trip = () => breakerDestinationInSqs({ tripped: ['support-chat'], reset: [], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'opened', source: SPEND_ALARM }] },
  'b1e5c0de-0000-4000-8000-000000000001', 'sqs-trip');
const reset = () => breakerDestinationInSqs({ tripped: [], reset: ['support-chat'], unchanged: [], changes: [{ feature: 'support-chat', outcome: 'closed', source: SPEND_ALARM }] },
  'b1e5c0de-0000-4000-8000-000000000002', 'sqs-reset');

const textOf = (blocks: any[]) => JSON.stringify(blocks);
const pngSize = (png: Buffer) => ({ signature: png.subarray(1, 4).toString('latin1'), width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('the notifier posts each alert kind to the webhook, with the cost chart', () => {
  test.each([
    ['a CloudWatch spend alarm', alarm, /genai-support-chat-spend is ALARM \(was OK\)/, ['*Current*\\n31.42', '*Threshold*\\n25', '*Feature*\\nsupport-chat', '*Application*\\ncustomer-support']],
    ['an AWS Budgets notification', budget, /Budget genai-monthly-total: ACTUAL cost \$4,212\.37 is over its alert threshold/, ['*Current*\\n$4,212.37', '*Threshold*\\n&gt; $4,000.00 of $5,000.00']],
    ['a Cost Anomaly Detection notification', anomaly, /Cost anomaly on Amazon Bedrock: \$41\.50 above the expected spend/, ['*Current*\\n$54.00', '*Threshold*\\n$12.50 expected', 'USE1-Claude4.5Sonnet-input-tokens']],
    ['a circuit breaker trip', trip, /Circuit breaker tripped for feature support-chat by alarm genai-support-chat-spend/, ['*Feature*\\nsupport-chat', '*State*\\nTRIPPED']],
    ['a circuit breaker reset', reset, /Circuit breaker reset for feature support-chat/, ['*State*\\nRESET']],
  ])('%s', async (_name, record, title, facts) => {
    const notify = await notifierWith();

    const result = await notify(sqsEvent(record()));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(receiver.posts).toHaveLength(1);
    const [{ body, path, contentType }] = receiver.posts;
    expect(path).toBe(`/services/${WEBHOOK_TOKEN}`);
    expect(contentType).toBe('application/json');
    expect(body.text).toMatch(title);
    for (const fact of facts) expect(textOf(body.blocks)).toContain(fact);
    // The picture: the dashboard's widget, drawn for the last day, at chat size, fetched from its presigned URL.
    const image = body.blocks.find((b: any) => b.type === 'image');
    expect(image.title.text).toBe('Cost per hour (USD), last 1d');
    expect(aws.widgets).toEqual([expect.objectContaining({ title: 'Cost per hour (USD)', start: '-P1D', width: 600, height: 300 })]);
    const png = Buffer.from(await (await fetch(image.image_url)).arrayBuffer());
    expect(pngSize(png)).toEqual({ signature: 'PNG', width: 600, height: 300 });
    expect(JSON.stringify(aws.widgets[0].metrics)).toContain('"label":"customer-support/support-chat"');
    expect(new URL(image.image_url).searchParams.get('X-Amz-Expires')).toBe('3600');
    // Links: the dashboard, and Cost Explorer filtered by the feature's tag (or the application's) and grouped by model.
    const buttons = body.blocks.find((b: any) => b.type === 'actions').elements.map((e: any) => e.text.text);
    expect(buttons.slice(0, 2)).toEqual(['Dashboard', 'Cost Explorer']);
    expect(textOf(body.blocks)).toContain(`#dashboards/dashboard/${synthesized.dashboardName}`);
  });

  test('an alarm names the runbook step; a reset does not', async () => {
    const notify = await notifierWith();

    await notify(sqsEvent(alarm(), reset()));

    const [fired, recovered] = receiver.posts.map((p) => textOf(p.body.blocks));
    expect(fired).toContain('*Runbook.* Growth or anomaly?');
    expect(fired).toMatch(/Anomaly: scale back.*Growth: raise the budget or threshold.*optimize/);
    expect(recovered).not.toContain('Runbook');
  });

  test('Cost Explorer is filtered by the Feature tag of the alert', async () => {
    const notify = await notifierWith();

    await notify(sqsEvent(alarm()));

    const explorer = receiver.posts[0].body.blocks.find((b: any) => b.type === 'actions').elements[1].url as string;
    const filter = JSON.parse(new URLSearchParams(explorer.split('?')[1]).get('filter')!);
    expect(filter).toEqual([expect.objectContaining({ values: [expect.objectContaining({ value: 'support-chat' })], growableValue: { value: 'Feature' } })]);
  });

  test('Teams gets an Adaptive Card with the facts, the chart and the links', async () => {
    const notify = await notifierWith({ format: 'teams' });

    await notify(sqsEvent(alarm()));

    const [{ body }] = receiver.posts;
    expect(body.type).toBe('message');
    const card = body.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.content.body).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'FactSet', facts: expect.arrayContaining([{ title: 'Current', value: '31.42' }, { title: 'Threshold', value: '25' }]) }),
      expect.objectContaining({ type: 'Image', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/alert-images\/charts\/[0-9a-f]{40}\.png\?/) }),
    ]));
    expect(card.content.actions.map((a: any) => a.title)).toEqual(['Dashboard', 'Cost Explorer']);
  });

  test('the generic JSON format carries every field and the chart URL', async () => {
    const notify = await notifierWith({ format: 'json' });

    await notify(sqsEvent(anomaly()));

    const [{ body }] = receiver.posts;
    expect(body).toMatchObject({
      source: 'genai-finops', version: 1,
      alert: { kind: 'anomaly', state: 'ANOMALY', current: '$54.00', threshold: '$12.50 expected' },
      links: { source: expect.stringMatching(/^https:\/\/console\.aws\.amazon\.com\/cost-management\//) },
      runbook: { decide: expect.stringMatching(/^Anomaly or growth\?/) },
      chart: { url: expect.any(String), expiresAt: '2026-11-27T15:01:00.000Z' },
    });
  });

  test('a breaker invocation that changed nothing posts nothing', async () => {
    const notify = await notifierWith();

    const result = await notify(sqsEvent(breakerDestinationInSqs({ tripped: [], reset: [], unchanged: ['support-chat'] }, 'b1e5c0de-0000-4000-8000-000000000003', 'sqs-noop')));

    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.posts).toEqual([]);
  });

  test('a two-source breaker: a join is not a fresh trip, a release that leaves it open is not a recovery, the close is', async () => {
    const notify = await notifierWith();
    // The real breaker deciding against DynamoDB Local: the spend alarm and a budget both hold support-chat open.
    const tableName = `breaker-${++tableCount}`;
    await createBreakerTable(ddb.client, tableName);
    const store = new DynamoDbBreakerStore(ddb.client, tableName, { now: () => NOW });
    const breakerConfig: BreakerHandlerConfig = {
      tableName, application: 'customer-support',
      budgets: [{ name: 'genai-monthly-total', features: ['support-chat'] }],
      alarms: [{ name: 'genai-support-chat-spend', features: ['support-chat'] }],
    };
    const steps = [
      ['sns-cloudwatch-alarm', 'trip'], ['sns-budgets-notification', 'join'], ['sns-cloudwatch-alarm-ok', 'release'],
    ] as const;
    let n = 0;
    for (const [sample, step] of steps) {
      const message = sampleSnsMessage(sample);
      const snsEvent = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: message.messageId, Subject: message.subject, Message: message.message, Timestamp: message.timestamp } }] };
      const decision = await decide(parseBreakerEvent(snsEvent), breakerConfig, { store, now: () => NOW });
      await notify(sqsEvent(breakerDestinationInSqs(decision, `b1e5c0de-0000-4000-8000-00000000010${++n}`, `sqs-${step}`, message)));
    }
    const closed = await decide(parseBreakerEvent({ reset: { feature: 'support-chat', actor: 'ops@example.com' } }), breakerConfig, { store, now: () => NOW + 60_000 });
    await notify(sqsEvent(breakerDestinationInSqs(closed, 'b1e5c0de-0000-4000-8000-000000000109', 'sqs-close')));

    const [tripped, joined, released, closedPost] = receiver.posts.map((p) => ({ text: p.body.text as string, blocks: textOf(p.body.blocks) }));
    expect(receiver.posts).toHaveLength(4);
    expect(tripped.text).toBe('Circuit breaker tripped for feature support-chat by alarm genai-support-chat-spend');
    expect(joined.text).toBe('Circuit breaker for feature support-chat: budget genai-monthly-total joined; it was already open (held by alarm genai-support-chat-spend)');
    expect(joined.blocks).toContain('*State*\\nJOINED');
    expect(released.text).toBe('Circuit breaker for feature support-chat: alarm genai-support-chat-spend let go; still held open by budget genai-monthly-total');
    expect(released.blocks).toContain('*State*\\nRELEASED');
    expect(released.blocks).toContain('🚨');
    for (const notRecovered of [joined, released]) {
      expect(notRecovered.blocks).not.toContain('✅');
      expect(notRecovered.blocks).not.toContain('serves as before');
    }
    expect(closedPost.text).toBe('Circuit breaker reset for feature support-chat: a manual reset by ops@example.com');
    expect(closedPost.blocks).toContain('✅');
    expect(closedPost.blocks).toContain('serves as before');
  });

  test('a breaker decision without its changes (an older breaker function) is never posted as a recovery', async () => {
    const notify = await notifierWith();

    await notify(sqsEvent(breakerDestinationInSqs({ tripped: [], reset: ['support-chat'], unchanged: [] }, 'b1e5c0de-0000-4000-8000-000000000201', 'sqs-legacy')));

    const blocks = textOf(receiver.posts[0].body.blocks);
    expect(receiver.posts[0].body.text).toMatch(/let go by alarm genai-support-chat-spend; closed, or still held open by another source/);
    expect(blocks).not.toContain('✅');
    expect(blocks).not.toContain('serves as before');
  });

  test('a message without a chart is still posted when the chart cannot be drawn', async () => {
    const notify = await notifierWith({ imageBucket: 'no-such-bucket' });

    const result = await notify(sqsEvent(alarm()));

    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.posts[0].body.blocks.some((b: any) => b.type === 'image')).toBe(false);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'alert chart could not be drawn; posting without it' }));
  });
});

describe('the handler', () => {
  test('reads its configuration from GENAI_NOTIFIER_CONFIG and its endpoints from the environment, as deployed', async () => {
    await notifierWith(); // creates the next claims table
    const claimsTable = `claims-${tableCount}`;
    const restore = setHandlerEnv({ bedrock: 'http://127.0.0.1:9', dynamodb: ddb.endpoint, s3: s3.endpoint }, {
      GENAI_NOTIFIER_CONFIG: JSON.stringify({ ...synthesized, webhookSecretArn: SECRET_ARN, claimsTable, imageBucket: 'alert-images', allowLoopbackHttp: true }),
      AWS_ENDPOINT_URL_CLOUDWATCH: aws.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
    });
    resetClients();
    resetNotifier();
    try {
      const result = await handler(sqsEvent(alarm(), alarm()));

      expect(result).toEqual({ batchItemFailures: [] });
      expect(receiver.posts).toHaveLength(1);
      expect(receiver.posts[0].body.blocks.some((b: any) => b.type === 'image')).toBe(true);
    } finally {
      restore();
      resetClients();
      resetNotifier();
    }
  });
});

describe('delivery at least once, posted once', () => {
  test('duplicates of one alarm transition are posted once: redelivered, in one batch, and from two topics', async () => {
    const notify = await notifierWith();
    const message = sampleSnsMessage('sns-cloudwatch-alarm');
    // The same alarm notifies its alarm topic and its spend topic: two SNS messages, one transition.
    const viaSpendTopic = snsInSqs({ ...message, messageId: 'a-different-sns-message-id' }, 'sqs-alarm-2');

    await notify(sqsEvent(alarm(), alarm()));
    await notify(sqsEvent(viaSpendTopic));
    await notify(sqsEvent(alarm()));

    expect(receiver.posts).toHaveLength(1);
  });

  test('a post the webhook took is not posted again when marking its claim posted fails', async () => {
    // DynamoDB Local, with the claim's UpdateItem (markPosted) failing as a throttled or unreachable table would.
    const failingMarks = new DynamoDBClient(localClientConfig(ddb.endpoint));
    failingMarks.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') throw Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' });
      return next(args);
    }, { step: 'initialize', name: 'failMarkPosted' });
    const notify = await notifierWith({}, failingMarks);

    const first = await notify(sqsEvent(alarm()));
    const duplicate = await notify(sqsEvent(alarm()));

    expect(first.batchItemFailures).toEqual([]);
    expect(receiver.posts).toHaveLength(1);
    expect(duplicate.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }]); // in progress: the lease holds it off
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'WARN', message: expect.stringMatching(/^alert posted, but its claim could not be marked posted/) }));
    failingMarks.destroy();
  });

  test('an alert is not started without the time it may take before the function\'s timeout: its record is left to the queue', async () => {
    const notify = await notifierWith();
    const budgetMs = alertTimeBudgetMs(synthesized.webhookTimeoutMs);

    const late = await notify(sqsEvent(alarm(), budget()), { getRemainingTimeInMillis: () => budgetMs - 1 });
    const inTime = await notify(sqsEvent(alarm(), budget()), { getRemainingTimeInMillis: () => 2 * budgetMs });

    expect(late.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }, { itemIdentifier: 'sqs-budget' }]);
    expect(inTime.batchItemFailures).toEqual([]);
    expect(receiver.posts).toHaveLength(2);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'ERROR', error: expect.stringContaining('less than one alert may take; left to the queue') }));
  });

  test('the next transition of the same alarm is a new post', async () => {
    const notify = await notifierWith();

    await notify(sqsEvent(alarm()));
    await notify(sqsEvent(snsInSqs(sampleSnsMessage('sns-cloudwatch-alarm-ok'), 'sqs-ok')));

    expect(receiver.posts.map((p) => p.body.text)).toEqual([expect.stringMatching(/is ALARM/), expect.stringMatching(/is OK/)]);
  });

  test.each([
    ['a 500', 500],
    ['a 429', 429],
    ['a 404 (a removed webhook)', 404],
  ])('%s is a batch item failure, the other records are posted, and the retry posts once', async (_name, status) => {
    const notify = await notifierWith();
    receiver.answerNext(status);

    const first = await notify(sqsEvent(alarm(), budget()));
    const retry = await notify(sqsEvent(alarm()));

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }]);
    expect(retry.batchItemFailures).toEqual([]);
    expect(receiver.posts.map((p) => p.body.text)).toEqual([expect.stringMatching(/^Budget/), expect.stringMatching(/genai-support-chat-spend is ALARM/)]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 'ERROR', error: expect.stringContaining(`the webhook answered ${status}`) }));
  });

  test('a webhook that does not answer in time is a batch item failure', async () => {
    const notify = await notifierWith({ webhookTimeoutMs: 200 });
    receiver.answerNext('hang');

    const result = await notify(sqsEvent(alarm()));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ error: expect.stringContaining('did not answer within 200 ms') }));
  }); // jest's default 60 s: the alert's chart is drawn in Chromium first, seconds on a loaded CI machine

  test('a webhook failing every delivery ends in the dead-letter queue after the queue\'s receive count', async () => {
    const notify = await notifierWith();
    receiver.answerNext(503, 503, 503, 503, 503);
    // SQS's side: a record reported as failed becomes visible again, until its receive count reaches maxReceiveCount.
    const maxReceiveCount = 5;
    const deadLetters: SQSRecord[] = [];
    let pending = [alarm()];
    for (let receive = 1; pending.length > 0; receive++) {
      const batch = pending.map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(receive) } }));
      const { batchItemFailures }: SQSBatchResponse = await notify({ Records: batch } as SQSEvent);
      const failed = batch.filter((r) => batchItemFailures.some((f) => f.itemIdentifier === r.messageId));
      deadLetters.push(...failed.filter(() => receive >= maxReceiveCount));
      pending = receive >= maxReceiveCount ? [] : failed;
    }

    expect(deadLetters.map((r) => r.messageId)).toEqual(['sqs-alarm']);
    expect(receiver.posts).toEqual([]);
  });
});

describe('the webhook URL is a secret', () => {
  test('never appears in a log line, posted or failed', async () => {
    // Long enough for the third post to be answered on a loaded CI machine; the hang still times out.
    const notify = await notifierWith({ webhookTimeoutMs: 2_000 });
    receiver.answerNext(500, 'hang');

    await notify(sqsEvent(alarm()));
    await notify(sqsEvent(alarm()));
    await notify(sqsEvent(alarm()));

    expect(receiver.posts).toHaveLength(1);
    const logged = JSON.stringify(logs.lines());
    expect(logs.lines().length).toBeGreaterThanOrEqual(3);
    expect(logged).not.toContain('XyzSecretWebhookToken42');
    expect(logged).not.toContain('/services/');
  }); // jest's default 60 s: three alerts, each with its chart drawn in Chromium

  test('as deployed, a webhook on http://127.0.0.1 is refused: in Lambda the Runtime API and extensions listen there', async () => {
    expect(synthesized).not.toHaveProperty('allowLoopbackHttp');
    const notify = await notifierWith({ allowLoopbackHttp: synthesized.allowLoopbackHttp });

    const result = await notify(sqsEvent(alarm()));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }]);
    expect(receiver.posts).toEqual([]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ error: expect.stringContaining('the webhook secret is a http URL') }));
  });

  test('a URL that is not https is refused without being logged', async () => {
    const notify = await notifierWith({ webhookSecretArn: HTTP_SECRET_ARN });

    const result = await notify(sqsEvent(alarm()));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-alarm' }]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ error: expect.stringContaining('the webhook secret is a http URL. Fix: use the webhook\'s https:// URL') }));
    expect(JSON.stringify(logs.lines())).not.toContain('hooks.example.com');
  });
});
