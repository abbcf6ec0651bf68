/**
 * Replays a workload through the bundled API handler, one API Gateway event per request, in order, and adds up
 * what the run consumed: model calls (as the simulator saw them), tokens and cost (as the pipeline priced them).
 */
import { attoToUsd, usdToAtto } from '../../../../shared/core';
import type { PipelineResult } from '../../../../lambda/pipeline/types';
import type { BedrockSimulator } from '../bedrock-simulator';
import { lambdaContext, LambdaHandler } from './handler-bundle';
import { redirectStdout } from './stdout-redirect';
import type { WorkloadRequest } from './workload';
import { invokeProxyEvent } from './invoke-event';

/** Model families, for the routing split. */
export type ModelFamily = 'haiku' | 'sonnet' | 'opus' | 'other';

/** What one run consumed. */
export interface RunTotals {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Status and message of the first failed request, if any. */
  readonly firstFailure?: string;
  /** Converse calls the simulator answered. */
  readonly modelCalls: number;
  readonly callsByModel: Readonly<Record<ModelFamily, number>>;
  readonly responseCacheHits: number;
  /** Input tokens billed at the normal rate (Bedrock's `inputTokens`: cache reads and writes excluded). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Requests whose answer was cut by the output cap. */
  readonly truncated: number;
  readonly costUsd: number;
  /** EMF records the handler wrote to stdout (one per request). */
  readonly metricRecords: number;
  readonly wallMs: number;
}

/** Replays `workload` through `handler`. The simulator should have been reset for this run. */
export async function replayWorkload(
  workload: ReadonlyArray<WorkloadRequest>,
  handler: LambdaHandler,
  options: {
    readonly runId: string;
    readonly simulator: BedrockSimulator;
    /** Called with each EMF record line the handler writes (the JSON text, without the newline). */
    readonly onMetricRecord?: (line: string) => void;
  },
): Promise<RunTotals> {
  const startedAt = Date.now();
  const callsBefore = options.simulator.calls.length;
  let succeeded = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let responseCacheHits = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let cacheReadTokens = 0;
  let cacheWriteTokens = 0;
  let truncated = 0;
  let costAtto = 0n;
  let metricRecords = 0;

  const restore = redirectStdout((chunk, _encoding, callback) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.startsWith('{"_aws"')) continue;
      metricRecords++;
      options.onMetricRecord?.(line);
    }
    if (callback) process.nextTick(callback);
  });
  try {
    for (const request of workload) {
      const requestId = `${options.runId}-${request.index}`;
      const response = await handler(apiGatewayEvent(request, requestId), lambdaContext('api', requestId)) as { statusCode: number; body: string };
      if (response?.statusCode !== 200) {
        failed++;
        firstFailure ??= `${response?.statusCode}: ${response?.body}`;
        continue;
      }
      succeeded++;
      const result = JSON.parse(response.body) as PipelineResult;
      if (result.cache.response === 'hit') responseCacheHits++;
      if (result.stopReason === 'max_tokens') truncated++;
      inputTokens += result.usage.inputTokens;
      outputTokens += result.usage.outputTokens;
      cacheReadTokens += result.usage.cacheReadInputTokens;
      cacheWriteTokens += result.usage.cacheWriteInputTokens;
      costAtto += usdToAtto(result.cost.totalUsd);
    }
  } finally {
    restore();
  }

  const calls = options.simulator.calls.slice(callsBefore).filter((c) => c.operation === 'Converse' && c.status === 200);
  const callsByModel: Record<ModelFamily, number> = { haiku: 0, sonnet: 0, opus: 0, other: 0 };
  for (const call of calls) callsByModel[family(call.baseModelId ?? call.modelId)]++;
  return {
    requests: workload.length,
    succeeded,
    failed,
    firstFailure,
    modelCalls: calls.length,
    callsByModel,
    responseCacheHits,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    truncated,
    costUsd: attoToUsd(costAtto),
    metricRecords,
    wallMs: Date.now() - startedAt,
  };
}

/** The API Gateway proxy event of `POST /invoke` for a request, as API Gateway (REST, IAM auth) delivers it. */
export function apiGatewayEvent(request: WorkloadRequest, requestId: string): Record<string, unknown> {
  return invokeProxyEvent({
    apiId: 'local',
    requestId,
    headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
    multiValueHeaders: {},
    body: JSON.stringify(request.body),
    context: {
      // Signed by the demo's backend role (as every IAM-authorized call is): its users are sub-ids of this principal.
      identity: {
        accountId: '111122223333', caller: 'AROADEMOREPLAY:replay', user: 'AROADEMOREPLAY:replay',
        userArn: 'arn:aws:sts::111122223333:assumed-role/genai-finops-demo/replay', sourceIp: '127.0.0.1', userAgent: 'genai-finops-demo',
      },
    },
  });
}

function family(modelId: string): ModelFamily {
  if (modelId.includes('haiku')) return 'haiku';
  if (modelId.includes('sonnet')) return 'sonnet';
  if (modelId.includes('opus')) return 'opus';
  return 'other';
}
