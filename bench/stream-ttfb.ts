import { performance } from 'node:perf_hooks';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig, startDynamoDbLocal } from '../packages/local/src/services';
import { createLedgerTable } from '../packages/local/src/services/ledger-table';
import { installAwsLambdaGlobal, invokeStreamingHandler, StreamingHandler } from '../packages/local/src/template/lambda-streaming';
import { CallTimeline, Interval, roundsOf } from './call-timeline';
import { startSimulatorChild } from './simulator-child';
import { percentile, round } from './stats';

/** The guard in front of the model: the DynamoDB ledger, the per-container guard, or none. */
type GuardMode = 'ledger' | 'container' | 'none';
const MODES: ReadonlyArray<GuardMode> = ['ledger', 'container', 'none'];

/** The simulated model's own time to its first event (ConverseStream's latency in the simulator). */
const FIRST_TOKEN_MS = 40;

/**
 * Issue 17's streaming target: "time to first byte adds at most one DynamoDB round to the model's own (cache read ‖
 * reservation)". The streaming API handler (`lambda/api/stream-handler.ts`, from sources) is invoked as Lambda's
 * runtime invokes it (the local emulation of response streaming, `packages/local/src/template/lambda-streaming.ts`),
 * with `Accept: text/event-stream`, against DynamoDB Local (response cache, ledger) and the Bedrock simulator in a
 * child process with a fixed first-token delay. Per request: the time to the payload's first byte, minus the
 * model's own time to its first event (the ConverseStream call's round trip to its response, timed on the SDK
 * client), is the pipeline's overhead; the DynamoDB rounds started before that byte are counted. The three guard
 * modes run in interleaved rounds (the machine is shared), and a bare `GetItem` round on the same DynamoDB Local,
 * with the same client, is timed between them: the overhead's ratio to it is the figure.
 */
export async function measureStreamTtfb(requestsPerMode = 200, rounds = 4) {
  const simulator = await startSimulatorChild({ latencyMs: FIRST_TOKEN_MS });
  const dynamo = await startDynamoDbLocal({ steadyState: true });
  const timeline = new CallTimeline();
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  try {
    const admin = new DynamoDBClient(localClientConfig(dynamo.endpoint));
    await admin.send(new CreateTableCommand({
      TableName: 'ttfb-cache', BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'cacheKey', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'cacheKey', AttributeType: 'S' }],
    }));
    await createLedgerTable(admin, 'ttfb-ledger');
    admin.destroy();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      GENAI_BEDROCK_ENDPOINT: simulator.endpoint, GENAI_DYNAMODB_ENDPOINT: dynamo.endpoint,
      GENAI_TAGS: JSON.stringify({ Application: 'bench', Feature: 'chat', Environment: 'development' }),
    });
    installAwsLambdaGlobal();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../lambda/api/stream-handler') as { handler: StreamingHandler };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const clients = require('../lambda/shared/clients') as typeof import('../lambda/shared/clients');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtime = require('../lambda/composition/pipeline-runtime') as typeof import('../lambda/composition/pipeline-runtime');
    clients.resetClients();
    // One set of clients (and connections) for every mode: a mode's round composes a new container on them.
    const ddb = clients.dynamoDbClient();
    timeline.watch('bedrock', clients.bedrockClient());
    timeline.watch('dynamodb', ddb);
    const useMode = (mode: GuardMode) => {
      process.env.GENAI_PIPELINE_CONFIG = pipelineConfig(mode);
      runtime.resetContainer();
    };

    const base = { tenantId: 'customer-123', userId: 'user-42', system: 'You answer questions about orders in two sentences.' };
    const event = (message: string) => ({
      body: JSON.stringify({ ...base, message }), path: '/invoke', httpMethod: 'POST', headers: { accept: 'text/event-stream' },
      requestContext: { requestId: `ttfb-${message}`, identity: { user: 'AROABENCH:bench-backend' } },
    });
    const run = async (message: string): Promise<Interval & { firstByte: number }> => {
      let start = 0;
      const timed: StreamingHandler = (e, stream, context) => {
        start = performance.now();
        return handler(e, stream, context);
      };
      const invocation = invokeStreamingHandler(timed, event(message), { getRemainingTimeInMillis: () => 30_000 });
      const firstByte = new Promise<number>((resolve) => invocation.payload.once('data', () => resolve(performance.now())));
      invocation.payload.resume();
      const [prelude, outcome] = await Promise.all([invocation.prelude, invocation.completion]);
      if (outcome.error || prelude.kind !== 'prelude' || prelude.head.statusCode !== 200) {
        throw new Error(`bench request failed: ${outcome.error?.message ?? JSON.stringify(prelude)}`);
      }
      return { start, firstByte: await firstByte, end: performance.now() };
    };
    const getItemRounds: number[] = [];
    const bareGetItem = async (i: number) => {
      const start = performance.now();
      await ddb.send(new GetItemCommand({ TableName: 'ttfb-cache', Key: { cacheKey: { S: `absent-${i}` } } }));
      getItemRounds.push(performance.now() - start);
    };

    // EMF lines go to stdout in Lambda; here they are produced (their cost is after the answer) and dropped.
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const miss: Record<GuardMode, Array<Interval & { firstByte: number }>> = { ledger: [], container: [], none: [] };
    const hit: Record<GuardMode, Array<Interval & { firstByte: number }>> = { ledger: [], container: [], none: [] };
    const perRound = Math.ceil(requestsPerMode / rounds);
    for (const mode of MODES) {
      useMode(mode);
      for (let i = 0; i < 50; i++) await run(`warm-up ${mode} ${i}?`);
    }
    for (let r = 0; r < rounds; r++) {
      for (const mode of MODES) {
        useMode(mode);
        // The round's first request composes the container: not measured.
        await run(`compose ${mode} ${r}?`);
        for (let i = 0; i < perRound; i++) miss[mode].push(await run(`Where is order ${mode}-${r}-${i}?`));
        // The same questions again: answered from the response cache.
        for (let i = 0; i < perRound; i++) hit[mode].push(await run(`Where is order ${mode}-${r}-${i}?`));
        for (let i = 0; i < perRound; i++) await bareGetItem(r * 10_000 + i);
      }
    }
    process.stdout.write = stdoutWrite;

    const getItem = { p50: round(percentile(getItemRounds, 50)), p99: round(percentile(getItemRounds, 99)) };
    const modes = Object.fromEntries(MODES.map((mode) => [mode, {
      cacheMiss: summarize(miss[mode], timeline, getItem),
      cacheHit: summarize(hit[mode], timeline, getItem),
    }]));
    return {
      requestsPerMode: perRound * rounds,
      firstTokenDelayMs: FIRST_TOKEN_MS,
      bareGetItemRoundMs: getItem,
      // The figure: the ledger's overhead to the first byte over one bare DynamoDB round (target ≤ 1 round
      // beyond the model's own time: the cache read and the reservation go out together).
      ledgerMissOverheadInGetItemRounds: modes.ledger.cacheMiss.overheadInGetItemRounds,
      // What each guard adds to the first byte beyond no guard (whose own overhead includes the cache read's round).
      addedOverNoGuard: Object.fromEntries((['ledger', 'container'] as const).map((mode) => [mode, {
        cacheMissMsP50: round(modes[mode].cacheMiss.overheadMsP50 - modes.none.cacheMiss.overheadMsP50),
        cacheMissMsP99: round(modes[mode].cacheMiss.overheadMsP99 - modes.none.cacheMiss.overheadMsP99),
        cacheHitMsP50: round(modes[mode].cacheHit.overheadMsP50 - modes.none.cacheHit.overheadMsP50),
        cacheHitMsP99: round(modes[mode].cacheHit.overheadMsP99 - modes.none.cacheHit.overheadMsP99),
      }])),
      modes,
    };
  } finally {
    process.stdout.write = stdoutWrite;
    timeline.stop();
    await simulator.close();
    await dynamo.stop();
  }
}

function pipelineConfig(mode: GuardMode): string {
  return JSON.stringify({
    tiers: {
      simple: { invokeId: 'anthropic.claude-haiku-4-5-20251001-v1:0', modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' },
      medium: { invokeId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
    },
    defaultLimits: { maxInputTokens: 50000, maxOutputTokens: 256 },
    responseCache: { tableName: 'ttfb-cache', ttlSeconds: 3600, namespace: 'v1' },
    // Limits the bench never reaches: admit, reserve and settle run on every request.
    guards: mode === 'none' ? { usageLimits: [] } : {
      store: mode === 'ledger' ? 'dynamodb' : 'container',
      ...(mode === 'ledger' ? { ledgerTableName: 'ttfb-ledger' } : {}),
      usageLimits: [
        { scope: 'user', window: 'minute', maxRequests: 1_000_000 },
        { scope: 'tenant', window: 'month', maxTokens: 10_000_000_000, maxCostUsd: 1_000_000 },
      ],
    },
  });
}

function summarize(windows: Array<Interval & { firstByte: number }>, timeline: CallTimeline, getItem: { p50: number; p99: number }) {
  const splits = windows.map((w) => {
    const calls = timeline.calls.filter((c) => c.start >= w.start && c.end <= w.end);
    const model = calls.find((c) => c.service === 'bedrock' && c.command === 'ConverseStreamCommand');
    const beforeFirstByte = calls.filter((c) => c.service === 'dynamodb' && c.start < w.firstByte).sort((a, b) => a.start - b.start);
    const ttfbMs = w.firstByte - w.start;
    const modelMs = model && model.start < w.firstByte ? model.end - model.start : 0;
    return { ttfbMs, modelMs, overheadMs: ttfbMs - modelMs, rounds: roundsOf(beforeFirstByte), afterFirstByteMs: w.end - w.firstByte };
  });
  const p = (pick: (s: (typeof splits)[number]) => number, q: number) => round(percentile(splits.map(pick), q));
  const overheadMsP50 = p((s) => s.overheadMs, 50);
  const overheadMsP99 = p((s) => s.overheadMs, 99);
  return {
    ttfbMsP50: p((s) => s.ttfbMs, 50),
    ttfbMsP99: p((s) => s.ttfbMs, 99),
    modelFirstEventMsP50: p((s) => s.modelMs, 50),
    overheadMsP50,
    overheadMsP99,
    overheadInGetItemRounds: { p50: round(overheadMsP50 / getItem.p50, 2), p99: round(overheadMsP99 / getItem.p99, 2) },
    dynamoDbRoundsBeforeFirstByte: round(splits.reduce((sum, s) => sum + s.rounds, 0) / splits.length, 2),
    dynamoDbRoundsBeforeFirstByteMax: Math.max(...splits.map((s) => s.rounds)),
    // Settlement, cache write and record: after the answer's first byte (the stream ends after `settled`).
    afterFirstByteMsP50: p((s) => s.afterFirstByteMs, 50),
  };
}
