import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';

const CALL_KEY = Symbol('benchCall');
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakCallbacks',
};

/** A span of time on the `performance.now()` clock, in ms. */
export interface Interval { readonly start: number; readonly end: number }

/** One SDK call: the whole `send` (serialize, sign, HTTP, parse) and the HTTP exchange alone (request to headers). */
export interface CallRecord extends Interval {
  readonly service: string;
  readonly command: string;
  readonly http?: Interval;
}

/**
 * What happened in this process while requests ran, recorded from the outside (no production code changes): every
 * SDK call of the clients it watches, Node's garbage-collection pauses and the TCP connections opened. The bench
 * then splits each request's time into the pipeline's own time and the time spent waiting on calls.
 */
export class CallTimeline {
  readonly calls: CallRecord[] = [];
  /** Node's GC pauses, with their kind (`minor` scavenges of the young generation, `major` mark-compacts, …). */
  readonly gcPauses: Array<Interval & { readonly kind: string }> = [];
  /** TCP connections opened, with their remote port (the bench's services each listen on their own port). */
  readonly socketsOpened: Array<{ readonly port: number; readonly at: number }> = [];
  private readonly gcObserver: PerformanceObserver;
  private readonly onSocket: (message: unknown) => void;

  constructor() {
    this.onSocket = (message) => {
      const socket = (message as { socket: Socket }).socket;
      socket.once('connect', () => this.socketsOpened.push({ port: socket.remotePort ?? 0, at: performance.now() }));
    };
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? 0] ?? 'other';
        this.gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration, kind });
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    diagnostics.subscribe('net.client.socket', this.onSocket);
  }

  /**
   * Times each `send` of an SDK v3 client (a middleware at the outermost step) and its HTTP exchange (a middleware
   * at the innermost: after signing and the deserializer, right around the request handler), tagged with the
   * service and command. The two meet through the send's own handler context (no async-context tracking, which
   * would slow every promise in the process on Node 20).
   */
  watch(service: string, client: { middlewareStack: any }): void {
    client.middlewareStack.add((next: any, context: any) => async (args: any) => {
      const call: { http?: Interval } = {};
      context[CALL_KEY] = call;
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        this.calls.push({ service, command: context.commandName ?? 'unknown', start, end: performance.now(), http: call.http });
      }
    }, { step: 'initialize', priority: 'high', name: `benchTimelineSend-${service}`, override: true });
    client.middlewareStack.add((next: any, context: any) => async (args: any) => {
      const start = performance.now();
      try {
        return await next(args);
      } finally {
        const call = context[CALL_KEY] as { http?: Interval } | undefined;
        if (call) call.http = { start, end: performance.now() };
      }
    }, { step: 'deserialize', priority: 'low', name: `benchTimelineHttp-${service}`, override: true });
  }

  stop(): void {
    this.gcObserver.disconnect();
    diagnostics.unsubscribe('net.client.socket', this.onSocket);
  }
}

/** Total length of the union of `intervals` clipped to `window`: overlapping calls count once. */
export function coveredMs(intervals: ReadonlyArray<Interval>, window: Interval): number {
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let cursor = -Infinity;
  for (const i of clipped) {
    const from = Math.max(cursor, i.start);
    if (i.end > from) total += i.end - from;
    cursor = Math.max(cursor, i.end);
  }
  return total;
}

/** Length of time, inside `window`, covered by both `a` and `b` (each a union). */
export function overlapMs(a: ReadonlyArray<Interval>, b: ReadonlyArray<Interval>, window: Interval): number {
  // |A ∩ B| = |A| + |B| − |A ∪ B|
  return coveredMs(a, window) + coveredMs(b, window) - coveredMs([...a, ...b], window);
}

/** Sequential rounds among calls sorted by start: a call that starts after every earlier one ended opens a round. */
export function roundsOf(sortedCalls: ReadonlyArray<Interval>): number {
  let rounds = 0;
  let inFlightUntil = -Infinity;
  for (const call of sortedCalls) {
    if (call.start >= inFlightUntil) rounds++;
    inFlightUntil = Math.max(inFlightUntil, call.end);
  }
  return rounds;
}
