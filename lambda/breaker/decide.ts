import { breakerPeriodId, BreakerHandlerConfig, BreakerPeriodUnit } from '../../shared/contract';
import { AlarmNotification, BreakerNotification, BudgetNotification, ResetRequest } from './notifications';
import type { DynamoDbBreakerStore } from './state-store';

/** What the breaker Lambda did with an event: the features it opened, those it closed, and what it ignored. */
export interface BreakerDecision {
  /** Features whose breaker this event opened (or that one more source now holds open). */
  readonly tripped: string[];
  /** Features whose breaker this event closed (or that one source let go of). */
  readonly reset: string[];
  /** Features the event named whose state already said so: a repeated notification. */
  readonly unchanged: string[];
  /** Why (part of) the event was not acted on. */
  readonly ignored?: string;
}

/** The store operations a decision needs. */
export type BreakerWriter = Pick<DynamoDbBreakerStore, 'trip' | 'release' | 'reset'>;

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
          const outcome = await deps.store.trip({
            application: config.application, feature, source: `budget:${notification.budgetName}`, reason: budgetReason(notification),
            period, notifiedAt: sentAt, messageId: notification.messageId,
          });
          (outcome.changed ? tripped : unchanged).push(feature);
        }
        break;
      }
      case 'alarm':
        await applyAlarm(notification, config, deps, now, { tripped, reset, unchanged, ignored });
        break;
      case 'reset':
        await applyReset(notification, config, deps, { reset, unchanged });
        break;
    }
  }
  return { tripped, reset, unchanged, ...(ignored.length > 0 ? { ignored: ignored.join('; ') } : {}) };
}

async function applyAlarm(
  alarm: AlarmNotification, config: BreakerHandlerConfig, deps: DecideDependencies, now: () => number,
  out: { tripped: string[]; reset: string[]; unchanged: string[]; ignored: string[] },
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
    } else {
      const outcome = await deps.store.release({
        application: config.application, feature, source,
        reason: `CloudWatch alarm '${alarm.alarmName}' is OK${alarm.reason ? `: ${alarm.reason}` : ''}`, messageId: alarm.messageId,
        ...(signalAt ? { signalAt } : {}),
      });
      (outcome.changed ? out.reset : out.unchanged).push(feature);
    }
  }
}

async function applyReset(request: ResetRequest, config: BreakerHandlerConfig, deps: DecideDependencies, out: { reset: string[]; unchanged: string[] }): Promise<void> {
  const actor = request.actor ?? 'lambda-invocation';
  const outcome = await deps.store.reset(request.application ?? config.application, request.feature, request.reason ?? `manual reset by ${actor}`, actor);
  (outcome.changed ? out.reset : out.unchanged).push(request.feature);
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
