import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startBedrockSimulator } from '../packages/local/src/bedrock-simulator';
import { localClientConfig, startDynamoDbLocal } from '../packages/local/src/services';
import { createLedgerTable } from '../packages/local/src/services/ledger-table';
import { requestBody } from './cpu-stages';
import { CallTimeline, coveredMs, Interval, overlapMs, roundsOf } from './call-timeline';
import { startSimulatorChild } from './simulator-child';
import { jvmGcLogOption, readJvmGcPauses } from './jvm-gc-log';
import { percentile, round } from './stats';

/**
 * Pipeline overhead per request through the real API handler (sources) with the real SDK clients on loopback:
 * DynamoDB Local and the Bedrock simulator (no simulated latency). Overhead = handler time minus the Bedrock call's
 * own round trip, on the cache-miss path (new message each time) and the cache-hit path (a repeated request).
 * Each request's time is split, from the outside (see call-timeline.ts), into the pipeline's own time, DynamoDB and
 * Bedrock calls, with the GC pauses of Node and of DynamoDB Local's JVM and the connections opened, to find where the
 * tail comes from. The simulator runs in a child process by default (`simulatorIn`), as the model does for a Lambda.
 */
export async function measureRequestOverhead(requests = 300, store: 'container' | 'dynamodb' = 'container', simulatorIn: 'child' | 'process' = 'child', allowanceSeconds = 0) {
  const simulator = simulatorIn === 'child' ? await startSimulatorChild() : await startBedrockSimulator();
  // DynamoDB Local's JVM logs its GC pauses (JAVA_TOOL_OPTIONS reaches the JVM the launcher spawns), to tell its
  // pauses from ours in the tail.
  const gcLogDir = mkdtempSync(path.join(tmpdir(), 'bench-jvm-gc-'));
  const jvmGcLog = path.join(gcLogDir, 'gc.log');
  const toolOptions = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = [toolOptions, jvmGcLogOption(jvmGcLog)].filter(Boolean).join(' ');
  // Fully compiling JVM: the figure is about the runtime, not about DynamoDB Local running in C1-only start-up mode.
  const dynamo = await startDynamoDbLocal({ steadyState: true }).finally(() => {
    if (toolOptions === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = toolOptions;
  });
  const timeline = new CallTimeline();
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  try {
    const admin = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    await admin.send(new CreateTableCommand({
      TableName: 'bench-cache', BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
    }));
    if (store === 'dynamodb') await createLedgerTable(admin, 'bench-ledger');
    admin.destroy();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      GENAI_BEDROCK_ENDPOINT: simulator.endpoint, GENAI_DYNAMODB_ENDPOINT: dynamo.endpoint,
      GENAI_TAGS: JSON.stringify({ Application: 'bench', Feature: 'chat', Environment: 'development' }),
      GENAI_PIPELINE_CONFIG: JSON.stringify({
        tiers: {
          simple: { invokeId: 'anthropic.claude-haiku-4-5-20251001-v1:0', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' },
          medium: { invokeId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
        },
        defaultLimits: { maxInputTokens: 50000, maxOutputTokens: 512 },
        responseCache: { tableName: 'bench-cache', ttlSeconds: 3600, namespace: 'v1' },
        // The guard chain is on, with limits the bench never reaches: admit, reserve and settle run on every request.
        guards: {
          store,
          ...(store === 'dynamodb' ? { ledgerTableName: 'bench-ledger' } : {}),
          usageLimits: [
            { scope: 'user', window: 'minute', maxRequests: 1_000_000 },
            { scope: 'tenant', window: 'month', maxTokens: 10_000_000_000, maxCostUsd: 1_000_000 },
            { scope: 'feature', window: 'day', maxCostUsd: 1_000_000 },
          ].map((limit) => (allowanceSeconds > 0 ? { ...limit, allowanceSeconds } : limit)),
        },
      }),
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../lambda/api/handler') as typeof import('../lambda/api/handler');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const clients = require('../lambda/shared/clients') as typeof import('../lambda/shared/clients');
    // A second series in the same process composes a new container against this run's endpoints.
    clients.resetClients();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtime = require('../lambda/composition/pipeline-runtime') as typeof import('../lambda/composition/pipeline-runtime');
    runtime.resetContainer();
    timeline.watch('bedrock', clients.bedrockClient());
    timeline.watch('dynamodb', clients.dynamoDbClient());
    // When each answer was ready, before its settlement, cache write and record (the pipeline's `answer` seam, which
    // a streaming handler sends from): timed from the outside, on this container's pipeline instance.
    let answeredAt: number | undefined;
    const pipeline = runtime.containerPipeline();
    const answerOf = pipeline.answer.bind(pipeline);
    pipeline.answer = async (...args: Parameters<typeof pipeline.answer>) => {
      const answer = await answerOf(...args);
      answeredAt = performance.now();
      return answer;
    };

    const base = requestBody(2000);
    const event = (message: string) => ({ body: JSON.stringify({ ...base, message }), requestContext: { requestId: message, identity: { user: 'AROABENCH:bench-backend' } }, path: '/invoke' }) as any;
    // EMF lines go to stdout in Lambda; here they are produced (that cost is part of the overhead) and dropped.
    process.stdout.write = (() => true) as any;
    const run = async (message: string): Promise<Interval & { answered: number }> => {
      answeredAt = undefined;
      const start = performance.now();
      const response = await handler(event(message));
      const end = performance.now();
      if (response.statusCode !== 200) throw new Error(`bench request failed: ${response.body}`);
      return { start, end, answered: answeredAt ?? end };
    };
    // A warm-up request may fail: on a loaded machine the cold JVM's first transactions can outlast the ledger's
    // timeout (a 503). The measured requests must all succeed.
    let warmUpFailures = 0;
    for (let i = 0; i < 300; i++) await run(`warm-up question ${i}?`).catch(() => warmUpFailures++);
    const miss: Array<Interval & { answered: number }> = [];
    const hit: Array<Interval & { answered: number }> = [];
    for (let i = 0; i < requests; i++) miss.push(await run(`What is the status of order ${i}?`));
    for (let i = 0; i < requests; i++) hit.push(await run(`What is the status of order ${i}?`));
    process.stdout.write = stdoutWrite;
    // Let late GC entries and log lines arrive before reading them.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const jvmPauses = readJvmGcPauses(jvmGcLog).map((p) => ({ start: p.start - performance.timeOrigin, end: p.end - performance.timeOrigin }));
    const ports = { dynamodb: Number(new URL(dynamo.endpoint).port), bedrock: Number(new URL(simulator.endpoint).port) };
    const summary = (windows: Array<Interval & { answered: number }>) => summarize(windows, timeline, jvmPauses, ports);
    const ledger = `usage ledger (DynamoDB, speculative reservation beside the cache read${allowanceSeconds > 0 ? `, container allowances of ${allowanceSeconds} s` : ''})`;
    const guardChain = `${store === 'dynamodb' ? ledger : 'container'} usage limits: user/minute requests, tenant/month tokens and USD, feature/day USD`;
    return { requests, store, allowanceSeconds, guardChain, warmUpFailures, cacheMiss: summary(miss), cacheHit: summary(hit) };
  } finally {
    process.stdout.write = stdoutWrite;
    timeline.stop();
    await simulator.close();
    await dynamo.stop();
    rmSync(gcLogDir, { recursive: true, force: true });
  }
}

/** One request's time, split: the pipeline's own time is what is left outside every SDK call. */
interface RequestSplit {
  totalMs: number;
  /** Handler time minus the Bedrock call (the figure the bench has always called overhead). */
  overheadMs: number;
  /** The same until the answer was ready (what a streamed answer waits for), before settlement, cache write and record. */
  untilAnswerOverheadMs: number;
  /** From the answer to the handler's return: settlement, cache write and record (after the answer when streamed). */
  afterAnswerMs: number;
  /** DynamoDB rounds until the answer was ready. */
  dynamoDbRoundsUntilAnswer: number;
  ownMs: number;
  /** `ownMs` minus the part of it Node spent in GC pauses. */
  ownOutsideGcMs: number;
  /** Own time before the first SDK call (validate, estimate, route, admit), between calls, after the last (settle's CPU, record, answer). */
  ownBeforeCallsMs: number;
  ownBetweenCallsMs: number;
  ownAfterCallsMs: number;
  bedrockMs: number;
  dynamoDbSends: number;
  dynamoDbRounds: number;
  /** Sum of the DynamoDB sends' times (concurrent sends add up). */
  dynamoDbSendMsSum: number;
  /** Wall time with at least one DynamoDB send in flight. */
  dynamoDbWaitMs: number;
  /** Wall time with at least one DynamoDB HTTP exchange in flight (the JVM and loopback, without the SDK's own work). */
  dynamoDbHttpMs: number;
  /** `dynamoDbHttpMs` minus the part of it Node spent in GC pauses (an answer that arrives then waits for the pause). */
  dynamoDbHttpOutsideGcMs: number;
  bedrockSends: number;
  nodeGcMs: number;
  jvmGcMs: number;
}

function splitRequest(window: Interval & { answered: number }, timeline: CallTimeline, jvmPauses: Interval[]): RequestSplit {
  const calls = timeline.calls.filter((c) => c.start >= window.start && c.end <= window.end);
  const bedrock = calls.filter((c) => c.service === 'bedrock');
  const dynamo = calls.filter((c) => c.service === 'dynamodb').sort((a, b) => a.start - b.start);
  const rounds = roundsOf(dynamo);
  const untilAnswer = { start: window.start, end: window.answered };
  const dynamoHttp = dynamo.flatMap((c) => (c.http ? [c.http] : []));
  const totalMs = window.end - window.start;
  const bedrockMs = coveredMs(bedrock, window);
  const ownMs = totalMs - coveredMs(calls, window);
  const firstCall = Math.min(window.end, ...calls.map((c) => c.start));
  const lastCall = Math.max(window.start, ...calls.map((c) => c.end));
  const ownBeforeCallsMs = firstCall - window.start;
  const ownAfterCallsMs = calls.length > 0 ? window.end - lastCall : 0;
  return {
    totalMs,
    overheadMs: totalMs - bedrock.reduce((sum, c) => sum + (c.end - c.start), 0),
    untilAnswerOverheadMs: (window.answered - window.start) - coveredMs(bedrock, untilAnswer),
    afterAnswerMs: window.end - window.answered,
    dynamoDbRoundsUntilAnswer: roundsOf(dynamo.filter((c) => c.start < window.answered)),
    ownMs,
    ownOutsideGcMs: totalMs - coveredMs([...calls, ...timeline.gcPauses], window),
    ownBeforeCallsMs,
    ownBetweenCallsMs: ownMs - ownBeforeCallsMs - ownAfterCallsMs,
    ownAfterCallsMs,
    bedrockMs,
    dynamoDbSends: dynamo.length,
    dynamoDbRounds: rounds,
    dynamoDbSendMsSum: dynamo.reduce((sum, c) => sum + (c.end - c.start), 0),
    dynamoDbWaitMs: coveredMs(dynamo, window),
    dynamoDbHttpMs: coveredMs(dynamoHttp, window),
    dynamoDbHttpOutsideGcMs: coveredMs(dynamoHttp, window) - overlapMs(dynamoHttp, timeline.gcPauses, window),
    bedrockSends: bedrock.length,
    nodeGcMs: coveredMs(timeline.gcPauses, window),
    jvmGcMs: coveredMs(jvmPauses, window),
  };
}

function summarize(windows: Array<Interval & { answered: number }>, timeline: CallTimeline, jvmPauses: Interval[], ports: { dynamodb: number; bedrock: number }) {
  const splits = windows.map((w) => splitRequest(w, timeline, jvmPauses));
  const p = (pick: (s: RequestSplit) => number, q: number) => round(percentile(splits.map(pick), q));
  const mean = (pick: (s: RequestSplit) => number, of = splits) => round(of.reduce((sum, s) => sum + pick(s), 0) / of.length, 2);
  const series: Interval = { start: windows[0].start, end: windows[windows.length - 1].end };
  // The slowest 1 % by overhead (at least 3 requests): what their time was spent on, on average.
  const tail = [...splits].sort((a, b) => b.overheadMs - a.overheadMs).slice(0, Math.max(3, Math.ceil(splits.length / 100)));
  const byCommand: Record<string, { calls: number; sendMsP50: number; sendMsP99: number; httpMsP50: number; httpMsP99: number }> = {};
  const inSeries = timeline.calls.filter((c) => c.service === 'dynamodb' && c.start >= series.start && c.end <= series.end);
  for (const command of [...new Set(inSeries.map((c) => c.command))].sort()) {
    const calls = inSeries.filter((c) => c.command === command);
    const http = calls.flatMap((c) => (c.http ? [c.http.end - c.http.start] : []));
    byCommand[command] = {
      calls: calls.length,
      sendMsP50: round(percentile(calls.map((c) => c.end - c.start), 50)),
      sendMsP99: round(percentile(calls.map((c) => c.end - c.start), 99)),
      httpMsP50: round(percentile(http, 50)),
      httpMsP99: round(percentile(http, 99)),
    };
  }
  const insideAny = (at: Interval) => windows.some((w) => at.start >= w.start && at.end <= w.end);
  const pausesIn = <T extends Interval>(pauses: T[]) => pauses.filter((x) => x.end > series.start && x.start < series.end);
  const nodePauses = pausesIn(timeline.gcPauses);
  const jvm = pausesIn(jvmPauses);
  const sockets = timeline.socketsOpened.filter((s) => s.at >= series.start && s.at <= series.end);
  return {
    overheadMsP50: p((s) => s.overheadMs, 50),
    overheadMsP99: p((s) => s.overheadMs, 99),
    // Until the answer was ready: the overhead a streamed answer's client sees (its settlement runs after).
    untilAnswerOverheadMsP50: p((s) => s.untilAnswerOverheadMs, 50),
    untilAnswerOverheadMsP99: p((s) => s.untilAnswerOverheadMs, 99),
    dynamoDbRoundsUntilAnswer: mean((s) => s.dynamoDbRoundsUntilAnswer),
    afterAnswerMsP50: p((s) => s.afterAnswerMs, 50),
    afterAnswerMsP99: p((s) => s.afterAnswerMs, 99),
    dynamoDbRoundTripsPerRequest: mean((s) => s.dynamoDbSends),
    sequentialDynamoDbRoundsPerRequest: mean((s) => s.dynamoDbRounds),
    dynamoDbMsP50: p((s) => s.dynamoDbSendMsSum, 50),
    bedrockCallsPerRequest: mean((s) => s.bedrockSends),
    // Where the time goes: handler = own + DynamoDB wait + Bedrock (+ nothing else: every SDK call is timed).
    handlerMsP50: p((s) => s.totalMs, 50),
    handlerMsP99: p((s) => s.totalMs, 99),
    ownMsP50: p((s) => s.ownMs, 50),
    ownMsP99: p((s) => s.ownMs, 99),
    ownOutsideGcMsP99: p((s) => s.ownOutsideGcMs, 99),
    ownStagesMs: {
      beforeCallsP50: p((s) => s.ownBeforeCallsMs, 50),
      beforeCallsP99: p((s) => s.ownBeforeCallsMs, 99),
      betweenCallsP50: p((s) => s.ownBetweenCallsMs, 50),
      betweenCallsP99: p((s) => s.ownBetweenCallsMs, 99),
      afterCallsP50: p((s) => s.ownAfterCallsMs, 50),
      afterCallsP99: p((s) => s.ownAfterCallsMs, 99),
    },
    dynamoDbWaitMsP50: p((s) => s.dynamoDbWaitMs, 50),
    dynamoDbWaitMsP99: p((s) => s.dynamoDbWaitMs, 99),
    dynamoDbHttpMsP50: p((s) => s.dynamoDbHttpMs, 50),
    dynamoDbHttpMsP99: p((s) => s.dynamoDbHttpMs, 99),
    dynamoDbHttpOutsideGcMsP99: p((s) => s.dynamoDbHttpOutsideGcMs, 99),
    bedrockMsP50: p((s) => s.bedrockMs, 50),
    bedrockMsP99: p((s) => s.bedrockMs, 99),
    dynamoDbByCommand: byCommand,
    tailSlowest1Percent: {
      requests: tail.length,
      overheadMs: mean((s) => s.overheadMs, tail),
      ownMs: mean((s) => s.ownMs, tail),
      dynamoDbWaitMs: mean((s) => s.dynamoDbWaitMs, tail),
      dynamoDbHttpMs: mean((s) => s.dynamoDbHttpMs, tail),
      dynamoDbHttpOutsideGcMs: mean((s) => s.dynamoDbHttpOutsideGcMs, tail),
      nodeGcMs: mean((s) => s.nodeGcMs, tail),
      jvmGcMs: mean((s) => s.jvmGcMs, tail),
    },
    nodeGc: {
      pauses: nodePauses.length,
      pauseMsTotal: round(nodePauses.reduce((sum, x) => sum + x.end - x.start, 0), 2),
      pauseMsMax: round(Math.max(0, ...nodePauses.map((x) => x.end - x.start)), 2),
      requestsWithAPause: splits.filter((s) => s.nodeGcMs > 0).length,
      byKind: Object.fromEntries([...new Set(nodePauses.map((x) => x.kind))].sort().map((kind) => {
        const of = nodePauses.filter((x) => x.kind === kind);
        return [kind, { pauses: of.length, pauseMsTotal: round(of.reduce((sum, x) => sum + x.end - x.start, 0), 2), pauseMsMax: round(Math.max(...of.map((x) => x.end - x.start)), 2) }];
      })),
      heapUsedMbAfter: round(process.memoryUsage().heapUsed / 2 ** 20, 1),
    },
    dynamoDbLocalJvmGc: {
      pauses: jvm.length,
      pauseMsTotal: round(jvm.reduce((sum, x) => sum + x.end - x.start, 0), 2),
      pauseMsMax: round(Math.max(0, ...jvm.map((x) => x.end - x.start)), 2),
      requestsWithAPause: splits.filter((s) => s.jvmGcMs > 0).length,
    },
    connectionsOpened: {
      dynamodb: sockets.filter((s) => s.port === ports.dynamodb).length,
      bedrock: sockets.filter((s) => s.port === ports.bedrock).length,
    },
    // SDK calls that ran between requests (work left running after the answer).
    callsOutsideRequests: timeline.calls.filter((c) => c.start >= series.start && c.end <= series.end && !insideAny(c)).length,
  };
}
