/**
 * The demo's guardrails scenario, through the same bundled handlers the constructs deploy:
 *
 * 1. A runaway tenant's burst meets its quota: the API function with the DynamoDB usage ledger (a tenant token
 *    limit and a USD limit per day) takes a concurrent burst from one tenant; what it admitted is added up from its
 *    answers and read back from the ledger's counters, and compared with the limits.
 * 2. A cost spike trips the breaker: the breaker bundle receives CloudWatch alarm notifications (SNS), first for one
 *    feature, then for the whole application (`*`); between them three API workflows of the breaker answer: one
 *    paused when tripped, one downgraded to the cheapest tier, one critical.
 *
 * Every function runs with the environment the demo stack's template gives it (demo-stack.ts, deployment.ts).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { attoToUsd, usdToAtto } from '../../../../shared/core';
import { BreakerConfig, BreakerHandlerConfig, ENV, LEDGER_TABLE, MODEL_TIERS, ModelTier } from '../../../../shared/contract';
import type { PipelineResult } from '../../../../lambda/pipeline/types';
import type { DemoDeployment } from './deployment';
import { applyEnvironment } from './function-env';
import { BREAKER_FEATURES, FEATURE_ALARM, GLOBAL_ALARM, TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT } from './guardrail-settings';
import { lambdaContext, LambdaHandler, loadBundledHandler } from './handler-bundle';
import type { LocalStack } from './local-stack';
import { apiGatewayEvent } from './replay';
import { discard, emfLines, redirectStdout } from './stdout-redirect';
import { generateWorkload, WorkloadRequest } from './workload';

/** The tenant whose burst meets its quota. */
export const RUNAWAY_TENANT = 'runaway-tenant';
/** Requests the runaway tenant sends at once. */
export const BURST_REQUESTS = 200;
export { BREAKER_FEATURES, FEATURE_ALARM, GLOBAL_ALARM, TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT };
/** Requests each feature sends at each step. */
export const REQUESTS_PER_FEATURE = 6;


/** The quota step's outcome. */
export interface QuotaOutcome {
  readonly tenant: string;
  readonly sent: number;
  readonly admitted: number;
  readonly refused429: number;
  /** The 429s by the measure that ran out (`tokens`, `costUsd`), from the refusals' details. */
  readonly refusedBy: Readonly<Record<string, number>>;
  /** Answers neither 200 nor 429 (a ledger timeout fails closed with 503), by status. */
  readonly other: Readonly<Record<string, number>>;
  readonly tokenLimit: number;
  readonly usdLimit: number;
  /** Tokens and cost of the admitted answers, as the pipeline priced them. */
  readonly admittedTokens: number;
  readonly admittedUsd: number;
  /** The ledger's tenant counters after the burst (settled to what Bedrock billed). */
  readonly ledgerTokens: number;
  readonly ledgerUsd: number;
  /** Admitted tokens and USD (from the answers and from the ledger) both within their limits. */
  readonly withinLimits: boolean;
  readonly wallMs: number;
}

/** One row of the breaker table: one feature's requests at one step. */
export interface BreakerStepRow {
  readonly step: string;
  readonly feature: string;
  readonly critical: boolean;
  readonly whenTripped: string;
  readonly sent: number;
  readonly status: Readonly<Record<string, number>>;
  /** Error codes of the refusals (`FEATURE_PAUSED`). */
  readonly errorCodes: ReadonlyArray<string>;
  /** Tiers of the answers, lowest first, each once. */
  readonly tiers: ReadonlyArray<ModelTier>;
}

/** What the breaker handler decided for a notification. */
export interface BreakerTrip {
  readonly alarm: string;
  readonly tripped: ReadonlyArray<string>;
}

/**
 * The guardrail runs as the dashboard page shows them, beside the lever runs: the API function's EMF records of
 * each step (its 429s and 503s are the page's rejections).
 */
export const GUARDRAIL_RUNS = Object.freeze({
  quota: { id: 'guardrails-quota', label: 'Runaway tenant (quota, 429)' },
  breaker: { id: 'guardrails-breaker', label: 'Breaker tripped (pause, 503)' },
});

/** The guardrails scenario's outcome. */
export interface GuardrailsReport {
  readonly quota: QuotaOutcome;
  readonly breaker: { readonly trips: ReadonlyArray<BreakerTrip>; readonly rows: ReadonlyArray<BreakerStepRow> };
  readonly wallMs: number;
}

/** Runs both steps on a started stack. */
export async function runGuardrails(options: {
  readonly stack: LocalStack;
  /** The synthesized demo stack: the functions' environments. */
  readonly deployment: DemoDeployment;
  readonly seed: number | string;
  readonly log: (line: string) => void;
  /** Called with each EMF record line the API function writes, and the id of the guardrail run (`GUARDRAIL_RUNS`). */
  readonly onMetricRecord?: (runId: string, line: string) => void;
}): Promise<GuardrailsReport> {
  const startedAt = Date.now();
  const { stack, deployment, log, onMetricRecord } = options;
  const records = (runId: string) => (onMetricRecord ? (line: string) => onMetricRecord(runId, line) : undefined);
  // Each step talks to the model: a fresh simulator, so calls and prompt caches of the lever runs do not carry over.
  stack.simulator.reset();
  const quota = await runQuota(stack, deployment, options.seed, records(GUARDRAIL_RUNS.quota.id));
  log(`guardrails: burst of ${quota.sent} from ${quota.tenant}: ${quota.admitted} admitted, ${quota.refused429} refused (429), ${quota.admittedTokens} tokens / $${quota.admittedUsd.toFixed(4)} admitted, ${quota.wallMs} ms`);
  stack.simulator.reset();
  const breaker = await runBreaker(stack, deployment, options.seed, records(GUARDRAIL_RUNS.breaker.id));
  log(`guardrails: breaker ${breaker.trips.map((t) => `${t.alarm} tripped [${t.tripped.join(', ')}]`).join('; ')}`);
  return { quota, breaker, wallMs: Date.now() - startedAt };
}

async function runQuota(stack: LocalStack, deployment: DemoDeployment, seed: number | string, onMetricRecord?: (line: string) => void): Promise<QuotaOutcome> {
  const env = await deployment.prepare(deployment.ids.quota, stack);
  const ledgerTable = deployment.pipelineConfig(deployment.ids.quota).guards?.ledgerTableName;
  if (!ledgerTable) throw new Error(`the demo stack's quota workflow (${deployment.ids.quota}) has no usage ledger.`);
  // Every message made unique, so that each request is a model call the quota must pay for.
  const burst = generateWorkload({ requests: BURST_REQUESTS, seed: `${seed}-burst` }).map((r) => withBody(r, {
    tenantId: RUNAWAY_TENANT, message: `${r.body.message} (ticket #${r.index + 1})`,
  }));
  const startedAt = Date.now();
  const answers = await withApiHandler(env, (handler) => Promise.all(
    burst.map((r) => invoke(handler, r, `burst-${r.index}`)),
  ), onMetricRecord);
  const wallMs = Date.now() - startedAt;
  let admittedTokens = 0;
  let admittedAtto = 0n;
  const other: Record<string, number> = {};
  const refusedBy: Record<string, number> = {};
  for (const answer of answers) {
    if (answer.statusCode === 429) {
      const measure = String((answer.body as { details?: { measure?: unknown } })?.details?.measure ?? 'unknown');
      refusedBy[measure] = (refusedBy[measure] ?? 0) + 1;
    }
    if (answer.statusCode === 200) {
      const result = answer.body as PipelineResult;
      admittedTokens += result.usage.inputTokens + result.usage.outputTokens + result.usage.cacheWriteInputTokens;
      admittedAtto += usdToAtto(result.cost.totalUsd);
    } else if (answer.statusCode !== 429) {
      other[answer.statusCode] = (other[answer.statusCode] ?? 0) + 1;
    }
  }
  const ledger = await tenantCounters(stack, ledgerTable, RUNAWAY_TENANT);
  const limitAtto = usdToAtto(TENANT_USD_LIMIT);
  return {
    tenant: RUNAWAY_TENANT,
    sent: burst.length,
    admitted: answers.filter((a) => a.statusCode === 200).length,
    refused429: answers.filter((a) => a.statusCode === 429).length,
    refusedBy,
    other,
    tokenLimit: TENANT_TOKEN_LIMIT,
    usdLimit: TENANT_USD_LIMIT,
    admittedTokens,
    admittedUsd: attoToUsd(admittedAtto),
    ledgerTokens: ledger.tokens,
    ledgerUsd: attoToUsd(ledger.costAtto),
    withinLimits: admittedTokens <= TENANT_TOKEN_LIMIT && admittedAtto <= limitAtto && ledger.tokens <= TENANT_TOKEN_LIMIT && ledger.costAtto <= limitAtto,
    wallMs,
  };
}

async function runBreaker(stack: LocalStack, deployment: DemoDeployment, seed: number | string, onMetricRecord?: (line: string) => void): Promise<GuardrailsReport['breaker']> {
  // Each feature is a workflow of its own; its function reads the breaker table on every request (the demo stack's
  // cache TTL is 0), so a trip is seen at once.
  const features = Object.entries(BREAKER_FEATURES);
  const envs = new Map<string, Record<string, string>>();
  for (const [feature] of features) envs.set(feature, await deployment.prepare(deployment.ids.breakerFeatures[feature], stack));
  const requests = featureRequests(seed);
  const rows: BreakerStepRow[] = [];
  const trips: BreakerTrip[] = [];
  const breaker = await loadBreakerHandler(stack, deployment);
  const step = async (name: string) => {
    for (const [feature, policy] of features) {
      const answers = await withApiHandler(envs.get(feature)!, async (api) => {
        const list: Answer[] = [];
        for (const r of requests) list.push(await invoke(api, withBody(r, { feature }), `${name}-${feature}-${r.index}`));
        return list;
      }, onMetricRecord);
      rows.push(stepRow(name, feature, policy, answers));
    }
  };
  await step('before any trip');
  trips.push({ alarm: FEATURE_ALARM, tripped: await trip(breaker, FEATURE_ALARM) });
  await step(`alarm ${FEATURE_ALARM}`);
  trips.push({ alarm: GLOBAL_ALARM, tripped: await trip(breaker, GLOBAL_ALARM) });
  await step(`alarm ${GLOBAL_ALARM} (*)`);
  return { trips, rows };
}

/** Requests of every class, the non-simple ones first, so that routing (and a downgrade) shows in the tiers. */
function featureRequests(seed: number | string): WorkloadRequest[] {
  const pool = generateWorkload({ requests: 120, seed: `${seed}-features` }).filter((r) => r.repeatOf === undefined);
  const complex = pool.filter((r) => r.messageClass === 'complex').slice(0, 2);
  const medium = pool.filter((r) => r.messageClass === 'medium').slice(0, REQUESTS_PER_FEATURE - complex.length - 2);
  const simple = pool.filter((r) => r.messageClass === 'simple').slice(0, REQUESTS_PER_FEATURE - complex.length - medium.length);
  return [...complex, ...medium, ...simple];
}

function stepRow(step: string, feature: string, policy: BreakerConfig['features'][string], answers: ReadonlyArray<Answer>): BreakerStepRow {
  const status: Record<string, number> = {};
  const codes = new Set<string>();
  const tiers = new Set<ModelTier>();
  for (const a of answers) {
    status[a.statusCode] = (status[a.statusCode] ?? 0) + 1;
    if (a.statusCode === 200) tiers.add((a.body as PipelineResult).model.tier);
    else if (typeof (a.body as { error?: unknown })?.error === 'string') codes.add((a.body as { error: string }).error);
  }
  return {
    step, feature, critical: policy.critical, whenTripped: policy.whenTripped === 'downgrade' ? `downgrade to ${policy.downgradeTo ?? 'simple'}` : policy.whenTripped,
    sent: answers.length, status, errorCodes: [...codes], tiers: MODEL_TIERS.filter((t) => tiers.has(t)),
  };
}

interface Answer {
  readonly statusCode: number;
  readonly body: unknown;
}

/**
 * Loads a fresh API container with `env`, runs `work` with its stdout kept off the CLI's: its EMF lines go to
 * `onMetricRecord`, the rest nowhere.
 */
async function withApiHandler<T>(
  env: Record<string, string>, work: (handler: LambdaHandler) => Promise<T>, onMetricRecord?: (line: string) => void,
): Promise<T> {
  const restoreEnv = applyEnvironment(env);
  const restoreStdout = redirectStdout(onMetricRecord ? emfLines(onMetricRecord) : discard);
  try {
    return await work(loadBundledHandler('api'));
  } finally {
    restoreStdout();
    restoreEnv();
  }
}

async function invoke(handler: LambdaHandler, request: WorkloadRequest, requestId: string): Promise<Answer> {
  const response = await handler(apiGatewayEvent(request, requestId), lambdaContext('api', requestId)) as { statusCode: number; body: string };
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = response.body;
  }
  return { statusCode: response.statusCode, body };
}

function withBody(request: WorkloadRequest, changes: Record<string, unknown>): WorkloadRequest {
  return { ...request, body: { ...request.body, ...changes } };
}

/** The breaker bundle with the environment the CircuitBreaker construct gives it: its table, the alarms it acts on. */
async function loadBreakerHandler(stack: LocalStack, deployment: DemoDeployment): Promise<LambdaHandler> {
  const env = await deployment.prepare(deployment.ids.breaker, stack);
  const config = JSON.parse(env[ENV.breakerConfig]) as BreakerHandlerConfig;
  for (const alarm of [FEATURE_ALARM, GLOBAL_ALARM]) {
    if (!config.alarms.some((a) => a.name === alarm)) throw new Error(`the demo stack's breaker does not act on alarm ${alarm}: ${env[ENV.breakerConfig]}`);
  }
  const restore = applyEnvironment(env);
  let handler: LambdaHandler;
  try {
    handler = loadBundledHandler('breaker');
  } finally {
    restore();
  }
  // Its environment is in place while it runs too (its clients may be created on the first event).
  return async (event, context) => {
    const restoreRun = applyEnvironment(env);
    try {
      return await handler(event, context);
    } finally {
      restoreRun();
    }
  };
}

async function trip(breaker: LambdaHandler, alarm: string): Promise<string[]> {
  const restoreStdout = redirectStdout(discard);
  try {
    const decision = await breaker(alarmEvent(alarm, new Date()), lambdaContext('breaker', `trip-${alarm}`)) as { tripped: string[] };
    return decision.tripped;
  } finally {
    restoreStdout();
  }
}

/** The SNS event of a CloudWatch alarm going to ALARM now (the shape of local/events/sns-cloudwatch-alarm.json). */
export function alarmEvent(alarmName: string, at: Date): Record<string, unknown> {
  const topic = 'arn:aws:sns:us-east-1:111122223333:genai-breaker';
  const message = {
    AlarmName: alarmName,
    AlarmDescription: `GenAI spend above its threshold: trips the circuit breaker (${alarmName}).`,
    AWSAccountId: '111122223333',
    NewStateValue: 'ALARM',
    NewStateReason: 'Threshold Crossed: 1 datapoint [31.42] was greater than the threshold (25.0).',
    StateChangeTime: at.toISOString().replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:us-east-1:111122223333:alarm:${alarmName}`,
    OldStateValue: 'OK',
  };
  return {
    Records: [{
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: `${topic}:demo`,
      Sns: {
        Type: 'Notification', MessageId: `demo-${alarmName}-${at.getTime()}`, TopicArn: topic,
        Subject: `ALARM: "${alarmName}" in US East (N. Virginia)`, Message: JSON.stringify(message), Timestamp: at.toISOString(), MessageAttributes: {},
      },
    }],
  };
}

/** The ledger's counters of a tenant's `tenant` scope, summed over windows and shards. */
async function tenantCounters(stack: LocalStack, tableName: string, tenant: string): Promise<{ tokens: number; costAtto: bigint }> {
  let tokens = 0;
  let costAtto = 0n;
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await stack.dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item[LEDGER_TABLE.partitionKey]?.S ?? '';
      if (!pk.startsWith('tenant#') || !pk.includes(encodeURIComponent(tenant))) continue;
      tokens += Number(item.tokens?.N ?? 0);
      costAtto += BigInt(item.costAtto?.N ?? '0');
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { tokens, costAtto };
}
