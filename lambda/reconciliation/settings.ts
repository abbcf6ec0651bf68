import { RECONCILIATION_DEFAULTS, RECONCILIATION_ENV } from '../../shared/contract/reconciliation';
import { isCalendarDay } from '../../shared/core/calendar-day';
import type { ReconciliationSettings } from './run';

/** The function's settings, from the environment the construct writes. */
export interface ReconciliationHandlerSettings extends ReconciliationSettings {
  readonly workGroup: string;
  readonly database: string;
  readonly lagDays: number;
}

/** Reads the settings; throws naming the variable when one is missing or malformed (the first run fails, loudly). */
export function readReconciliationSettings(env: NodeJS.ProcessEnv = process.env): ReconciliationHandlerSettings {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`the environment variable ${name} is not set; the MeterReconciliation construct sets it`);
    return value;
  };
  const number = (name: string, fallback: number, min: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`${name} is '${text}'; it must be a number of at least ${min}`);
    return value;
  };
  const database = required(RECONCILIATION_ENV.database);
  const quote = (table: string) => `"${database}"."${table}"`;
  return {
    workGroup: required(RECONCILIATION_ENV.workGroup),
    database,
    curTable: quote(required(RECONCILIATION_ENV.curTable)),
    meterTable: quote(required(RECONCILIATION_ENV.meterTable)),
    lagDays: number(RECONCILIATION_ENV.lagDays, RECONCILIATION_DEFAULTS.lagDays, 0),
    thresholdPercent: number(RECONCILIATION_ENV.thresholdPercent, RECONCILIATION_DEFAULTS.thresholdPercent, 0),
    minimumUsd: number(RECONCILIATION_ENV.minimumUsd, RECONCILIATION_DEFAULTS.minimumUsd, 0),
  };
}

/**
 * The day an invocation asks for: `{ "day": "YYYY-MM-DD" }` invoked directly (a backfill, a rerun), or the
 * scheduled day (undefined here). Throws with the reason for a malformed or future day.
 */
export function requestedDay(event: unknown, now: Date): string | undefined {
  const day = (event as { day?: unknown } | null | undefined)?.day;
  if (day === undefined) return undefined;
  if (typeof day !== 'string' || !isCalendarDay(day)) {
    throw new Error(`400: day is ${JSON.stringify(day)}; give a UTC day as YYYY-MM-DD, e.g. {"day":"2026-01-31"}`);
  }
  // A day that has not ended has no complete bill.
  if (Date.parse(`${day}T00:00:00Z`) + 86_400_000 > now.getTime()) {
    throw new Error(`400: day ${day} has not ended (now ${now.toISOString()}); CUR has no complete bill for it yet`);
  }
  return day;
}
