/**
 * The UTC day a scheduled run processes: the day before the scheduled time, so that the 02:00 run
 * handles the day that just ended. Returns `YYYY-MM-DD`.
 */
export function dayToProcess(scheduledTime: string | undefined, now: Date = new Date()): string {
  const at = scheduledTime ? new Date(scheduledTime) : now;
  const base = Number.isNaN(at.getTime()) ? now : at;
  const previous = new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate() - 1));
  return previous.toISOString().slice(0, 10);
}
