import { breakerPeriodId, BreakerHandlerConfig, BreakerPeriodUnit } from '../../shared/contract';
import { AlarmNotification, BreakerNotification, BudgetNotification, ResetRequest } from './notifications';
import type { BreakerAction, DynamoDbBreakerStore, WriteOutcome } from './state-store';

/** What one change did to a feature's breaker, as the alert notifier tells it. */
export type BreakerOutcome = 'opened' | 'joined' | 'released' | 'closed';

/** One change of one feature's breaker. */
export interface BreakerChange {
  readonly feature: string;
  /**
   * `opened`: it was closed and is now open; `joined`: it was already open and one more source holds it; `released`:
   * one source let go and others still hold it open; `closed`: it is closed (the last source let go, or a reset).
   */
  readonly outcome: BreakerOutcome;
  /** The source that changed it (`alarm:<name>`, `budget:<name>`, or the resetting actor). */
  readonly source: string;
  /** The other sources holding it open after a join or a release, as read just after (absent when unread). */
  readonly heldBy?: string[];
  /** While it is open, what it does to the feature (`throttled to 25 % of its requests ...`), when the construct said. */
  readonly effect?: string;
}

/** What the breaker Lambda did with an event: the features it opened, those it closed, and what it ignored. */
export interface BreakerDecision {
  /** Features whose breaker this event opened (or that one more source now holds open). */
  readonly tripped: string[];
  /** Features whose breaker this event closed (or that one source let go of). */
  readonly reset: string[];
  /** Features the event named whose state already said so: a repeated notification. */
  readonly unchanged: string[];
  /**
   * Each change with its outcome, in order: `tripped` and `reset` do not tell a fresh trip from a join, nor a close
   * from a release that leaves the breaker open; the notifier (its on-success destination) posts from this.
   */
  readonly changes: BreakerChange[];
  /** Why (part of) the event was not acted on. */
  readonly ignored?: string;
}

/** The store operations a decision needs (`read` names who else holds a breaker open after a join or release). */
export type BreakerWriter = Pick<DynamoDbBreakerStore, 'trip' | 'release' | 'reset'> & Partial<Pick<DynamoDbBreakerStore, 'read'>>;

/** Dependencies of {@link decide}. */
export interface DecideDependencies {
  readonly store: BreakerWriter;
  readonly now?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Applies parsed notifications: a budget trips the features its name is mapped to (for the budget's period); an
 * alarm in ALARM trips its features and its OK lets go of what it opened (budgets never close: the next period
 * does); a reset closes one breaker. Unmapped names and unparseable messages are ignored and logged, never thrown:
 * a notification the breaker cannot act on must not become an error that SNS retries.
 */
export async function decide(notifications: ReadonlyArray<BreakerNotification>, config: BreakerHandlerConfig, deps: DecideDependencies): Promise<BreakerDecision> {
  const tripped: string[] = [];
  const reset: string[] = [];
  const unchanged: string[] = [];
  const ignored: string[] = [];
  const changes: BreakerChange[] = [];
  const now = deps.now ?? Date.now;
  for (const notification of notifications) {
    switch (notification.kind) {
      case 'unparseable':
        deps.log?.('breaker ignored a message it cannot parse', { why: notification.why, messageId: notification.messageId });
        ignored.push(`unparseable: ${notification.why}`);
        break;
      case 'budget': {
        const rule = config.budgets.find((b) => b.name === notification.budgetName);
        const features = rule?.features;
        if (!features || features.length === 0) {
          ignored.push(`budget '${notification.budgetName}' is not mapped to any feature`);
          break;
        }
        const sentAt = isoOr(notification.sentAt, now());
        const unit: BreakerPeriodUnit = rule?.period ?? notification.periodUnit ?? 'month';
        const period = breakerPeriodId(unit, Date.parse(sentAt));
        for (const feature of features) {
          const source = `budget:${notification.budgetName}`;
          const outcome = await deps.store.trip({
            application: config.application, feature, source, reason: budgetReason(notification),
            period, notifiedAt: sentAt, messageId: notification.messageId,
          });
          (outcome.changed ? tripped : unchanged).push(feature);
          if (outcome.changed) changes.push(await changeOf(outcome, feature, source, config, deps));
        }
        break;
      }
      case 'alarm':
        await applyAlarm(notification, config, deps, now, { tripped, reset, unchanged, ignored, changes });
        break;
      case 'reset':
        await applyReset(notification, config, deps, { reset, unchanged, changes });
        break;
    }
  }
  return { tripped, reset, unchanged, changes, ...(ignored.length > 0 ? { ignored: ignored.join('; ') } : {}) };
}

async function applyAlarm(
  alarm: AlarmNotification, config: BreakerHandlerConfig, deps: DecideDependencies, now: () => number,
  out: { tripped: string[]; reset: string[]; unchanged: string[]; ignored: string[]; changes: BreakerChange[] },
): Promise<void> {
  const features = config.alarms.find((a) => a.name === alarm.alarmName)?.features;
  if (!features || features.length === 0) {
    out.ignored.push(`alarm '${alarm.alarmName}' is not mapped to any feature`);
    return;
  }
  if (alarm.state === 'INSUFFICIENT_DATA') {
    out.ignored.push(`alarm '${alarm.alarmName}' went to INSUFFICIENT_DATA, which neither trips nor resets`);
    return;
  }
  const source = `alarm:${alarm.alarmName}`;
  const changedAt = isoOr(alarm.changedAt, now());
  // SNS may deliver an OK before its ALARM, or redeliver an ALARM after its OK: the alarm's own state change time
  // orders them, and a transition no newer than the last applied one changes nothing.
  const signalAt = alarm.changedAt !== undefined ? changedAt : undefined;
  for (const feature of features) {
    if (alarm.state === 'ALARM') {
      const outcome = await deps.store.trip({
        application: config.application, feature, source,
        reason: `CloudWatch alarm '${alarm.alarmName}' is in ALARM${alarm.reason ? `: ${alarm.reason}` : ''}`,
        period: breakerPeriodId(config.alarmPeriod ?? 'month', Date.parse(changedAt)), notifiedAt: changedAt, messageId: alarm.messageId,
        ...(signalAt ? { signalAt } : {}),
      });
      (outcome.changed ? out.tripped : out.unchanged).push(feature);
      if (outcome.changed) out.changes.push(await changeOf(outcome, feature, source, config, deps));
    } else {
      const outcome = await deps.store.release({
        application: config.application, feature, source,
        reason: `CloudWatch alarm '${alarm.alarmName}' is OK${alarm.reason ? `: ${alarm.reason}` : ''}`, messageId: alarm.messageId,
        ...(signalAt ? { signalAt } : {}),
      });
      (outcome.changed ? out.reset : out.unchanged).push(feature);
      if (outcome.changed) out.changes.push(await changeOf(outcome, feature, source, config, deps));
    }
  }
}

async function applyReset(request: ResetRequest, config: BreakerHandlerConfig, deps: DecideDependencies, out: { reset: string[]; unchanged: string[]; changes: BreakerChange[] }): Promise<void> {
  const actor = request.actor ?? 'lambda-invocation';
  const outcome = await deps.store.reset(request.application ?? config.application, request.feature, request.reason ?? `manual reset by ${actor}`, actor);
  (outcome.changed ? out.reset : out.unchanged).push(request.feature);
  if (outcome.changed) out.changes.push({ feature: request.feature, outcome: 'closed', source: `manual:${actor}` });
}

const OUTCOME_OF_ACTION: Record<BreakerAction, BreakerOutcome> = { open: 'opened', join: 'joined', release: 'released', close: 'closed', reset: 'closed' };

// A join or a release leaves the breaker open: the message names who else holds it. The state is read after the
// write (eventually consistent, so the changing source is taken out by name); a failed read only loses the names,
// never the decision.
async function changeOf(outcome: WriteOutcome, feature: string, source: string, config: BreakerHandlerConfig, deps: DecideDependencies): Promise<BreakerChange> {
  const result = OUTCOME_OF_ACTION[outcome.action ?? 'open'];
  const effect = result !== 'closed' ? config.effects?.[feature] : undefined;
  return { ...await heldByOf(result, feature, source, config, deps), ...(effect ? { effect } : {}) };
}

async function heldByOf(result: BreakerOutcome, feature: string, source: string, config: BreakerHandlerConfig, deps: DecideDependencies): Promise<BreakerChange> {
  if ((result !== 'joined' && result !== 'released') || !deps.store.read) return { feature, outcome: result, source };
  try {
    const item = (await deps.store.read(config.application, [feature])).get(feature);
    const others = (item?.sources ?? []).filter((s) => s !== source);
    return { feature, outcome: result, source, ...(others.length > 0 ? { heldBy: [...others].sort() } : {}) };
  } catch (error) {
    deps.log?.('breaker could not read who else holds the breaker open', { feature, error: error instanceof Error ? error.message : String(error) });
    return { feature, outcome: result, source };
  }
}

function budgetReason(n: BudgetNotification): string {
  const what = `${n.alertType ?? 'ACTUAL'} ${(n.budgetType ?? 'cost').toLowerCase()}`;
  const amount = n.amount ? ` is ${n.amount}` : '';
  const threshold = n.alertThreshold ? `, over its alert threshold ${n.alertThreshold}` : ', over its alert threshold';
  const budgeted = n.budgetedAmount ? ` (budgeted ${n.budgetedAmount})` : '';
  return `AWS Budgets: the ${what} of budget '${n.budgetName}'${amount}${threshold}${budgeted}`;
}

// CloudWatch writes "2026-11-27T10:15:00.000+0000"; SNS "2026-11-27T10:15:00.000Z". Both become ISO; junk becomes now.
function isoOr(value: string | undefined, nowMs: number): string {
  if (value) {
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return new Date(nowMs).toISOString();
}
