import type { UsageWindow } from '../../../shared/contract';

/** A calendar window (UTC): its start, used as part of a counter's key, and when it ends. */
export interface WindowSpan {
  readonly id: string;
  readonly endsAtMs: number;
}

/**
 * The calendar window that `nowMs` falls in. Windows are aligned to the UTC calendar, so a counter resets because
 * its key changes (a new hour, day or month), never because a job ran.
 */
export function windowOf(window: UsageWindow, nowMs: number): WindowSpan {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (window) {
    case 'minute': {
      const start = Math.floor(nowMs / 60_000) * 60_000;
      return { id: new Date(start).toISOString().slice(0, 16), endsAtMs: start + 60_000 };
    }
    case 'hour': {
      const start = Math.floor(nowMs / 3_600_000) * 3_600_000;
      return { id: new Date(start).toISOString().slice(0, 13), endsAtMs: start + 3_600_000 };
    }
    case 'day':
      return { id: d.toISOString().slice(0, 10), endsAtMs: Date.UTC(y, m, d.getUTCDate() + 1) };
    case 'month':
      return { id: d.toISOString().slice(0, 7), endsAtMs: Date.UTC(y, m + 1, 1) };
  }
}
