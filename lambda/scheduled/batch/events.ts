/** An invocation that only collects finished batch jobs. `time` (ISO) sets the day the look-back starts from. */
export interface BatchCollectEvent {
  readonly collect: true;
  readonly time?: string;
}

/** The EventBridge event Bedrock sends when a batch inference job changes state (fields read defensively). */
export interface BatchJobStateChangeEvent {
  readonly 'source': 'aws.bedrock';
  readonly 'detail-type': 'Batch Inference Job State Change';
  readonly 'time'?: string;
  readonly 'resources'?: ReadonlyArray<string>;
  readonly 'detail'?: { readonly batchJobName?: string; readonly batchJobArn?: string; readonly status?: string };
}

/** What an invocation asks for. */
export type Trigger =
  | { readonly kind: 'scheduled'; readonly time?: string }
  | { readonly kind: 'collect'; readonly time?: string }
  | { readonly kind: 'job-state'; readonly jobName?: string; readonly jobArn?: string; readonly status?: string; readonly time?: string };

/** Classifies an invocation: a schedule, an explicit `{ "collect": true }`, or Bedrock's job state change. */
export function triggerOf(event: unknown): Trigger {
  const e = (event ?? {}) as Record<string, any>;
  if (e.source === 'aws.bedrock' && e['detail-type'] === 'Batch Inference Job State Change') {
    const detail = e.detail ?? {};
    return {
      kind: 'job-state',
      jobName: detail.batchJobName ?? detail.jobName,
      jobArn: detail.batchJobArn ?? detail.jobArn ?? (Array.isArray(e.resources) ? e.resources[0] : undefined),
      status: detail.status ?? detail.jobStatus,
      time: typeof e.time === 'string' ? e.time : undefined,
    };
  }
  if (e.collect === true) return { kind: 'collect', time: typeof e.time === 'string' ? e.time : undefined };
  return { kind: 'scheduled', time: typeof e.time === 'string' ? e.time : undefined };
}
