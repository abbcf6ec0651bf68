import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { buildExampleApp } from '../../bin/example-app';
import { uploadAnnouncedObjects } from '../../packages/local/src/commands/invoke-fixtures';
import { ENV } from '../../shared/contract';
import { applyEnvironment, ConstructPipelineConfig, modelAliases } from '../../packages/local/src/demo/function-env';
import { LocalStack, startLocalStack } from '../../packages/local/src/demo/local-stack';
import { CloudFormationTemplate, createTemplateResources, ResolvedFunction, resolveFunction, TemplateResolver } from '../../packages/local/src/template';
import { localLambdaContext, localRuntimeEnvironment } from '../../packages/local/src/template/runtime-environment';
import { installAwsLambdaGlobal, invokeStreamingHandler, isStreamingHandler } from '../../packages/local/src/template/lambda-streaming';

// The example app's guardrails followed from its synthesized template to their effect, as deployed: every signal is
// delivered in the format AWS sends (an SNS envelope around the CloudWatch alarm JSON or the Budgets text) along the
// subscriptions the template declares, to the breaker handler with the environment the template gives it; then the
// workflows' handlers run with theirs against the Bedrock simulator. The handlers are the sources the bundles are
// built from (lambda/<workflow>/handler.ts; the streaming chat's lambda/api/stream-handler.ts): the bundles' SDK
// loads parts of itself with dynamic import(), which jest's module sandbox refuses; `genai-finops local invoke
// --template` runs the bundles themselves.

/** A fixed clock (only Date is faked: timers and I/O run for real). The tables have no TTL (local/template). */
const NOV_27 = Date.UTC(2026, 10, 27, 14, 0, 0);

interface Signals {
  readonly topics: Set<string>;
  /** Alarms whose actions notify a topic the breaker is subscribed to, by logical id: name and topic. */
  readonly alarms: Map<string, { readonly name: string; readonly topic: string; readonly description: string }>;
  /** Budgets with an SNS subscriber the breaker is subscribed to: name, amount, topic. */
  readonly budgets: Map<string, { readonly amount: number; readonly topic: string }>;
}

let outdir: string;
let templateFile: string;
let template: CloudFormationTemplate;
let resolver: TemplateResolver;
let stack: LocalStack;
let signals: Signals;
let fns: { breaker: ResolvedFunction; chat: ResolvedFunction; documents: ResolvedFunction; nightly: ResolvedFunction };
/** The source of each function's bundled handler, by logical id. */
const sources = new Map<string, string>();
let breakerHandler: (event: unknown) => Promise<any>;

/** The function whose construct path (aws:cdk:path) ends with `suffix`. */
function functionAt(suffix: string): ResolvedFunction {
  const entry = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(suffix));
  if (!entry) throw new Error(`no function at ${suffix}`);
  return resolveFunction(resolver, { logicalId: entry[0], constructPath: String(entry[1].Metadata?.['aws:cdk:path']) });
}

/** What reaches the breaker, read from the template: its subscriptions, and the alarms and budgets notifying them. */
function signalsOf(breaker: ResolvedFunction): Signals {
  const arnOf = (value: unknown) => String(resolver.resolve(value));
  const breakerArn = arnOf({ 'Fn::GetAtt': [breaker.logicalId, 'Arn'] });
  const topics = new Set(Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties?.Protocol === 'lambda' && arnOf(r.Properties.Endpoint) === breakerArn)
    .map((r) => arnOf(r.Properties!.TopicArn)));
  const alarms = new Map<string, { name: string; topic: string; description: string }>();
  const budgets = new Map<string, { amount: number; topic: string }>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::CloudWatch::Alarm') {
      const actions = [...(resolver.resolve(r.Properties?.AlarmActions ?? []) as string[]), ...(resolver.resolve(r.Properties?.OKActions ?? []) as string[])];
      const topic = actions.find((a) => topics.has(a));
      if (topic) alarms.set(id, { name: String(resolver.resolve({ Ref: id })), topic, description: String(r.Properties?.AlarmDescription ?? '') });
    } else if (r.Type === 'AWS::Budgets::Budget') {
      const properties = r.Properties as { NotificationsWithSubscribers?: Array<{ Subscribers: Array<{ Address: unknown }> }>; Budget: any };
      const subscribers = (properties.NotificationsWithSubscribers ?? []).flatMap((n) => n.Subscribers);
      const topic = subscribers.map((s) => arnOf(s.Address)).find((a) => topics.has(a));
      if (topic) budgets.set(properties.Budget.BudgetName, { amount: properties.Budget.BudgetLimit.Amount, topic });
    }
  }
  return { topics, alarms, budgets };
}

/** The SNS → Lambda event of one message on `topic`, as SNS delivers it. */
function snsEvent(topic: string, message: string, subject: string, timestamp: string, messageId: string = randomUUID()) {
  return {
    Records: [{
      EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: `${topic}:${randomUUID()}`,
      Sns: {
        Type: 'Notification', MessageId: messageId, TopicArn: topic, Subject: subject, Message: message, Timestamp: timestamp,
        SignatureVersion: '1', Signature: 'EXAMPLE', SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem',
        UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe', MessageAttributes: {},
      },
    }],
  };
}

/** A CloudWatch alarm state change as the alarm's SNS action publishes it (the alarm JSON as the message). */
function alarmDelivery(alarmLogicalId: string, state: 'ALARM' | 'OK', stateChangeTime: string, messageId?: string) {
  const alarm = signals.alarms.get(alarmLogicalId)!;
  const message = {
    AlarmName: alarm.name, AlarmDescription: alarm.description, AWSAccountId: resolver.account,
    AlarmConfigurationUpdatedTimestamp: '2026-11-20T09:00:00.000+0000', NewStateValue: state,
    NewStateReason: state === 'ALARM' ? 'Threshold Crossed: 1 datapoint [31.42 (27/11/26 13:58:00)] was greater than the threshold (10.0).'
      : 'Threshold Crossed: 1 datapoint [2.08 (27/11/26 15:31:00)] was not greater than the threshold (10.0).',
    StateChangeTime: stateChangeTime, Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:${resolver.region}:${resolver.account}:alarm:${alarm.name}`,
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM', OKActions: [alarm.topic], AlarmActions: [alarm.topic], InsufficientDataActions: [],
    Trigger: { Period: 3600, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 10.0, TreatMissingData: 'notBreaching', EvaluateLowSampleCountPercentile: '' },
  };
  const sent = new Date(Date.parse(stateChangeTime.replace(/(\d{2})(\d{2})$/, '$1:$2')) + 80).toISOString();
  return snsEvent(alarm.topic, JSON.stringify(message), `${state}: "${alarm.name}" in US East (N. Virginia)`, sent, messageId);
}

/** An AWS Budgets notification as Budgets publishes it to SNS (plain text). */
function budgetDelivery(budgetName: string, sentAt: string) {
  const budget = signals.budgets.get(budgetName)!;
  const threshold = (budget.amount * 0.8).toFixed(2);
  const actual = (budget.amount * 0.84).toFixed(2);
  const text = `AWS Budget Notification November 27, 2026\nAWS Account ${resolver.account}\n\nDear AWS Customer,\n\n`
    + `You requested that we alert you when the ACTUAL Cost associated with your ${budgetName} budget is greater than $${threshold}. `
    + `The ACTUAL Cost associated with this budget is $${actual}. You can find additional details below and by accessing the AWS Budgets dashboard [1].\n\n`
    + `Budget Name: ${budgetName}\nBudget Type: Cost\nBudgeted Amount: $${budget.amount.toFixed(2)}\nAlert Type: ACTUAL\n`
    + `Alert Threshold: > $${threshold}\nACTUAL Amount: $${actual}\n\n[1] https://console.aws.amazon.com/billing/home#/budgets\n`;
  return snsEvent(budget.topic, text, `AWS Budgets: ${budgetName} has exceeded your alert threshold`, sentAt);
}

/** Runs a template function's bundled handler in a new container: its template environment plus the local endpoints. */
async function invoke(fn: ResolvedFunction, event: unknown): Promise<{ result?: any; error?: any }> {
  const restore = applyEnvironment({ ...fn.environment, ...localRuntimeEnvironment(fn, stack.endpoints, resolver.region) });
  try {
    const handler = loadHandler(fn);
    const context = localLambdaContext(fn, randomUUID(), resolver.account, resolver.region);
    if (isStreamingHandler(handler as unknown)) return await invokeStreaming(handler, event, context);
    return { result: await handler(event, context) };
  } catch (error) {
    return { error };
  } finally {
    restore();
  }
}

/**
 * A streaming handler (the chat's: `responseStreaming`) run as Lambda's runtime runs it, its answer read as API
 * Gateway's streaming integration reads it (the prelude's status and headers, then the payload), to its end.
 */
async function invokeStreaming(handler: any, event: unknown, context: any): Promise<{ result?: any; error?: any }> {
  const invocation = invokeStreamingHandler(handler, event, context);
  const chunks: Buffer[] = [];
  invocation.payload.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [prelude, outcome] = await Promise.all([invocation.prelude, invocation.completion]);
  if (outcome.error) return { error: outcome.error };
  if (prelude.kind !== 'prelude') return { error: new Error(`no prelude: ${prelude.reason}`) };
  await new Promise((resolve) => (invocation.payload.readableEnded ? resolve(undefined) : invocation.payload.once('end', resolve)));
  return { result: { statusCode: prelude.head.statusCode, headers: prelude.head.headers, body: Buffer.concat(chunks).toString('utf8') } };
}

/** The handler as a new Lambda container loads it (it reads its environment at init: set it first). */
function loadHandler(fn: ResolvedFunction): (event: unknown, context?: unknown) => Promise<any> {
  let handler!: (event: unknown, context?: unknown) => Promise<any>;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(sources.get(fn.logicalId)!).handler;
  });
  return handler;
}

/** Delivers SNS events to the breaker container loaded for the current test (one container, as a warm Lambda). */
async function deliver(event: unknown): Promise<any> {
  return breakerHandler(event);
}

/** The chat (critical), documents and nightly workflows, each run once in a new container. */
async function runWorkflows() {
  // A fresh record for the nightly run: the records of earlier runs are done and are not sent again.
  await putNightlyRecord();
  stack.simulator.reset();
  const chat = await invoke(fns.chat, apiEvent());
  const documents = await invoke(fns.documents, await documentEvent());
  const nightly = await invoke(fns.nightly, scheduledEvent());
  return { chat, documents, nightly, modelCalls: stack.simulator.calls.length };
}

function apiEvent() {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'packages', 'local', 'events', 'api-gateway-proxy.json'), 'utf8'));
  event.requestContext.requestId = randomUUID();
  // A chat page asks for server-sent events.
  event.headers = { ...event.headers, Accept: 'text/event-stream' };
  // A question of its own each time, so that the chat calls its model rather than answering from its response cache.
  event.body = JSON.stringify({ ...JSON.parse(event.body), message: `How do I reset my password? (ticket ${randomUUID()})` });
  return event;
}

async function documentEvent() {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'packages', 'local', 'events', 'eventbridge-object-created.json'), 'utf8'));
  const bucket = bucketOf(fns.documents);
  event.detail.bucket.name = bucket;
  event.resources = [`arn:aws:s3:::${bucket}`];
  event.detail.object.key = `incoming/ticket-${randomUUID()}.txt`;
  return uploadAnnouncedObjects(event, stack, Buffer.from('Customer 4711 asks for a refund of a duplicate charge of $49 on the November invoice.', 'utf8'), () => undefined);
}

function scheduledEvent() {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'packages', 'local', 'events', 'eventbridge-scheduled.json'), 'utf8'));
  event.id = randomUUID();
  return event;
}

// The bucket the document workflow reads: the one its function's role may read from, named in the template.
function bucketOf(fn: ResolvedFunction): string {
  const bucketId = fn.referenced.find((id) => template.Resources[id]?.Type === 'AWS::S3::Bucket')
    ?? Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::S3::Bucket' && String(r.Metadata?.['aws:cdk:path'] ?? '').includes('/Documents/'))![0];
  return resolver.physicalName(bucketId);
}

/** Puts one record for the day the nightly run processes (the event's day before). */
async function putNightlyRecord(): Promise<void> {
  const input = fns.nightly.environment.INPUT_BUCKET;
  const prefix = fns.nightly.environment.INPUT_PREFIX ?? 'records/';
  const { dayToProcess } = await import('../../lambda/scheduled/schedule-day');
  const day = dayToProcess(scheduledEvent().time);
  await stack.s3.send(new PutObjectCommand({ Bucket: input, Key: `${prefix}${day}/conversation-${randomUUID()}.txt`, Body: 'Customer: my invoice doubled. Agent: refunded the duplicate.' }));
}

function logicalIdOfAlarm(pathPart: string): string {
  const id = [...signals.alarms.keys()].find((k) => String(template.Resources[k].Metadata?.['aws:cdk:path'] ?? '').includes(pathPart));
  if (!id) throw new Error(`no alarm at ${pathPart} notifies the breaker`);
  return id;
}

// A paused document or nightly run fails with the 503 FEATURE_PAUSED PipelineError (Lambda retries it later).
function pausedCode(outcome: { result?: any; error?: any }): string | undefined {
  if (outcome.error && outcome.error.code !== 'FEATURE_PAUSED') throw outcome.error;
  return outcome.error?.code;
}

beforeAll(async () => {
  jest.useFakeTimers({ now: NOV_27, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-example-guardrails-'));
  const app = buildExampleApp(new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } }));
  const assembly = app.synth();
  const name = (app.node.findChild('CustomerSupportGenAi') as Stack).stackName;
  templateFile = assembly.getStackByName(name).templateFullPath;
  template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  resolver = new TemplateResolver(template, { stackName: name });
  fns = {
    breaker: functionAt('/Guardrails/Breaker/Handler/Resource/Resource'),
    chat: functionAt('/Chat/Handler/Resource/Resource'),
    documents: functionAt('/Documents/Handler/Resource/Resource'),
    nightly: functionAt('/Nightly/Handler/Resource/Resource'),
  };
  signals = signalsOf(fns.breaker);
  const handlerOf = (workflow: string, file = 'handler') => path.join(__dirname, '..', '..', 'lambda', workflow, file);
  sources.set(fns.breaker.logicalId, handlerOf('breaker'));
  // The example's chat streams (responseStreaming): its function is the api-stream bundle, built from stream-handler.ts.
  expect(String(template.Resources[fns.chat.logicalId].Properties?.Description)).toMatch(/^GenAI api-stream workflow /);
  installAwsLambdaGlobal();
  sources.set(fns.chat.logicalId, handlerOf('api', 'stream-handler'));
  sources.set(fns.documents.logicalId, handlerOf('document'));
  sources.set(fns.nightly.logicalId, handlerOf('scheduled'));
  const aliases = Object.assign({}, ...[fns.chat, fns.documents, fns.nightly].map((f) => modelAliases(JSON.parse(f.environment[ENV.pipelineConfig]) as ConstructPipelineConfig)));
  stack = await startLocalStack({ modelAliases: aliases });
  for (const fn of [fns.chat, fns.documents, fns.nightly]) await createTemplateResources(resolver, fn.referenced, stack);
}, 600_000);

afterAll(async () => {
  jest.useRealTimers();
  await stack?.stop();
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

// Every test starts with an empty breaker table and a new breaker container (the handler reads its config at init).
beforeEach(async () => {
  jest.setSystemTime(NOV_27);
  try {
    await stack.dynamodb.send(new DeleteTableCommand({ TableName: resolver.physicalName(breakerTableId()) }));
  } catch { /* first test */ }
  await createTemplateResources(resolver, fns.breaker.referenced, stack);
  const restore = applyEnvironment({ ...fns.breaker.environment, ...localRuntimeEnvironment(fns.breaker, stack.endpoints, resolver.region) });
  try {
    breakerHandler = loadHandler(fns.breaker);
  } finally {
    restore();
  }
  const env = { ...fns.breaker.environment, ...localRuntimeEnvironment(fns.breaker, stack.endpoints, resolver.region) };
  const bound = breakerHandler;
  // The bundled handler's clients read the endpoint when first used: keep its environment while it runs.
  breakerHandler = async (event) => {
    const undo = applyEnvironment(env);
    try {
      return await bound(event);
    } finally {
      undo();
    }
  };
});

function breakerTableId(): string {
  return fns.breaker.referenced.find((id) => template.Resources[id]?.Type === 'AWS::DynamoDB::Table')!;
}

describe('the example app\'s guardrails, from its synthesized template to the workflows', () => {
  test('the template wires the budgets and every spend alarm to the breaker, and nothing else', () => {
    expect([...signals.budgets.keys()].sort()).toEqual([
      'customer-support-genai-feature-support-chat', 'customer-support-genai-feature-ticket-attachments', 'customer-support-genai-production',
    ]);
    // Hourly and anomaly per workflow, and the total.
    expect(signals.alarms.size).toBe(7);
  });

  test('every budget the breaker acts on counts the Environment the workflows are tagged with', () => {
    const tagsOf = (logicalId: string) => Object.fromEntries(((template.Resources[logicalId].Properties?.Tags ?? []) as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
    const environment = tagsOf(fns.documents.logicalId).Environment;
    for (const name of signals.budgets.keys()) {
      const budget = Object.values(template.Resources).find((r) => r.Type === 'AWS::Budgets::Budget' && (r.Properties?.Budget as any)?.BudgetName === name)!;
      const expression = (budget.Properties!.Budget as any).FilterExpression;
      const filters: Array<{ Tags?: { Key: string; Values: string[] } }> = expression.And ?? [expression];
      expect({ name, environment: filters.find((f) => f.Tags?.Key === 'Environment')?.Tags?.Values }).toEqual({ name, environment: [environment] });
    }
  });

  test('with nothing tripped, every workflow runs and calls its model', async () => {
    const run = await runWorkflows();

    expect(run.chat.result?.statusCode).toBe(200);
    // (the chat's answer streamed: its events, ending once the ledger settled)
    expect(run.chat.result?.headers['content-type']).toBe('text/event-stream');
    expect(run.chat.result?.body).toMatch(/^event: start\n[\s\S]*\nevent: delta\n[\s\S]*\nevent: done\n[\s\S]*\nevent: settled\ndata: .*\n\n$/);
    expect(pausedCode(run.documents)).toBeUndefined();
    expect(pausedCode(run.nightly)).toBeUndefined();
    expect(run.modelCalls).toBe(3);
  });

  test('the production budget pauses the non-critical workflows for the month; the critical chat keeps running', async () => {
    const decision = await deliver(budgetDelivery('customer-support-genai-production', '2026-11-27T14:05:12.345Z'));
    expect(decision).toEqual({
      tripped: ['*'], reset: [], unchanged: [], changes: [{
        feature: '*', outcome: 'opened', source: 'budget:customer-support-genai-production',
        // What the trip does to each workflow's feature, as the construct wrote it for the alert.
        effect: 'conversation-digest paused (503 FEATURE_PAUSED); support-chat unaffected (critical, it keeps running); ticket-attachments paused (503 FEATURE_PAUSED)',
      }],
    });

    jest.setSystemTime(NOV_27 + 60_000);
    const run = await runWorkflows();

    expect(run.chat.result?.statusCode).toBe(200);
    expect(pausedCode(run.documents)).toBe('FEATURE_PAUSED');
    expect(pausedCode(run.nightly)).toBe('FEATURE_PAUSED');
    expect(run.modelCalls).toBe(1); // the chat's only
    // Still paused on the month's last day; the next month's first request runs.
    jest.setSystemTime(Date.UTC(2026, 10, 30, 23, 0, 0));
    expect(pausedCode(await invoke(fns.documents, await documentEvent()))).toBe('FEATURE_PAUSED');
    jest.setSystemTime(Date.UTC(2026, 11, 1, 0, 0, 1));
    expect(pausedCode(await invoke(fns.documents, await documentEvent()))).toBeUndefined();
  });

  test('the documents spend alarm pauses the documents only, and its OK resumes them', async () => {
    const alarm = logicalIdOfAlarm('/Workflow:customer-support-genai:ticket-attachments/HourlySpend');

    expect((await deliver(alarmDelivery(alarm, 'ALARM', '2026-11-27T14:00:41.519+0000'))).tripped).toEqual(['ticket-attachments']);
    let run = await runWorkflows();
    expect(pausedCode(run.documents)).toBe('FEATURE_PAUSED');
    expect(pausedCode(run.nightly)).toBeUndefined();
    expect(run.chat.result?.statusCode).toBe(200);

    expect((await deliver(alarmDelivery(alarm, 'OK', '2026-11-27T15:32:10.004+0000'))).reset).toEqual(['ticket-attachments']);
    run = await runWorkflows();
    expect(pausedCode(run.documents)).toBeUndefined();
  });

  test('the total spend alarm pauses every non-critical workflow; the chat keeps running', async () => {
    expect((await deliver(alarmDelivery(logicalIdOfAlarm('/TotalHourlySpend'), 'ALARM', '2026-11-27T14:00:41.519+0000'))).tripped).toEqual(['*']);

    const run = await runWorkflows();

    expect(run.chat.result?.statusCode).toBe(200);
    expect(pausedCode(run.documents)).toBe('FEATURE_PAUSED');
    expect(pausedCode(run.nightly)).toBe('FEATURE_PAUSED');
  });

  test('an OK delivered before its ALARM, and a duplicated ALARM after its OK, leave the documents running', async () => {
    const alarm = logicalIdOfAlarm('/Workflow:customer-support-genai:ticket-attachments/HourlySpend');
    const firing = alarmDelivery(alarm, 'ALARM', '2026-11-27T14:00:41.519+0000', 'alarm-1');
    const clearing = alarmDelivery(alarm, 'OK', '2026-11-27T15:32:10.004+0000', 'ok-1');

    // SNS reorders: the OK first, then the ALARM it followed
    await deliver(clearing);
    expect((await deliver(firing)).unchanged).toEqual(['ticket-attachments']);
    expect(pausedCode(await invoke(fns.documents, await documentEvent()))).toBeUndefined();

    // SNS redelivers: the ALARM and the OK again, in any order
    await deliver(firing);
    await deliver(clearing);
    await deliver(firing);
    expect(pausedCode(await invoke(fns.documents, await documentEvent()))).toBeUndefined();

    // A later ALARM still trips
    expect((await deliver(alarmDelivery(alarm, 'ALARM', '2026-11-27T16:10:00.000+0000', 'alarm-2'))).tripped).toEqual(['ticket-attachments']);
    expect(pausedCode(await invoke(fns.documents, await documentEvent()))).toBe('FEATURE_PAUSED');
  });
});
