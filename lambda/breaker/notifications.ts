import type { BreakerPeriodUnit } from '../../shared/contract';

/**
 * What reaches the breaker Lambda, parsed: an AWS Budgets notification (plain text, through SNS), a CloudWatch
 * alarm state change (JSON, through SNS), a manual reset (a direct invocation), or something it cannot act on.
 * Parsing never throws: what is not understood is `unparseable`, logged and ignored by the caller.
 */
export type BreakerNotification = BudgetNotification | AlarmNotification | ResetRequest | Unparseable;

/** An AWS Budgets alert: "the ACTUAL (or FORECASTED) cost of budget X is over its threshold". */
export interface BudgetNotification {
  readonly kind: 'budget';
  readonly budgetName: string;
  readonly budgetType?: string;
  readonly budgetedAmount?: string;
  /** ACTUAL or FORECASTED. */
  readonly alertType?: string;
  readonly alertThreshold?: string;
  /** The ACTUAL or FORECASTED amount line. */
  readonly amount?: string;
  /** The budget's period when the text says so ("per day", "per month"...). */
  readonly periodUnit?: BreakerPeriodUnit;
  readonly messageId?: string;
  /** ISO time the notification was sent (the SNS timestamp). */
  readonly sentAt?: string;
}

/** A CloudWatch alarm's state change. */
export interface AlarmNotification {
  readonly kind: 'alarm';
  readonly alarmName: string;
  readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  readonly reason?: string;
  readonly changedAt?: string;
  readonly messageId?: string;
}

/** `{ "reset": { "feature": "...", "application"?: "...", "reason"?: "...", "actor"?: "..." } }`, invoked directly. */
export interface ResetRequest {
  readonly kind: 'reset';
  readonly feature: string;
  readonly application?: string;
  readonly reason?: string;
  readonly actor?: string;
}

/** A message the breaker does not understand. */
export interface Unparseable {
  readonly kind: 'unparseable';
  readonly why: string;
  readonly messageId?: string;
}

/** The notifications in a Lambda event: one per SNS record, or the one manual reset. */
export function parseBreakerEvent(event: unknown): BreakerNotification[] {
  const e = event as Record<string, any> | null;
  if (e && typeof e === 'object' && e.reset !== undefined) return [parseReset(e.reset)];
  if (e && Array.isArray(e.Records)) {
    return e.Records.map((record: any) => {
      const sns = record?.Sns;
      if (!sns || typeof sns.Message !== 'string') return { kind: 'unparseable', why: 'a record without an SNS message' } as Unparseable;
      return parseSnsMessage(sns.Message, { messageId: sns.MessageId, sentAt: sns.Timestamp, subject: sns.Subject });
    });
  }
  return [{ kind: 'unparseable', why: 'neither SNS records nor a {"reset": ...} payload' }];
}

/** One SNS message's text: a CloudWatch alarm's JSON or a Budgets notification's text. */
export function parseSnsMessage(message: string, meta: { messageId?: string; sentAt?: string; subject?: string } = {}): BreakerNotification {
  const trimmed = message.trim();
  if (trimmed.startsWith('{')) return parseAlarm(trimmed, meta.messageId);
  return parseBudget(trimmed, meta);
}

function parseAlarm(json: string, messageId: string | undefined): BreakerNotification {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json);
  } catch {
    return { kind: 'unparseable', why: 'a JSON message that does not parse', messageId };
  }
  const name = value.AlarmName;
  const state = value.NewStateValue;
  if (typeof name !== 'string' || name === '' || (state !== 'ALARM' && state !== 'OK' && state !== 'INSUFFICIENT_DATA')) {
    return { kind: 'unparseable', why: 'a JSON message that is not a CloudWatch alarm state change (AlarmName, NewStateValue)', messageId };
  }
  return {
    kind: 'alarm', alarmName: name, state,
    ...(typeof value.NewStateReason === 'string' ? { reason: value.NewStateReason } : {}),
    ...(typeof value.StateChangeTime === 'string' ? { changedAt: value.StateChangeTime } : {}),
    ...(messageId ? { messageId } : {}),
  };
}

// The text AWS Budgets sends to SNS: "AWS Budget Notification <date>", then "Name: value" lines.
function parseBudget(text: string, meta: { messageId?: string; sentAt?: string; subject?: string }): BreakerNotification {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*([A-Za-z][A-Za-z ]*?):\s*(.+?)\s*$/);
    if (m) fields.set(m[1].toLowerCase(), m[2]);
  }
  const budgetName = fields.get('budget name');
  const anchored = /AWS Budget Notification/i.test(text) || /^AWS Budgets:/i.test(meta.subject ?? '');
  if (!anchored || !budgetName) {
    return { kind: 'unparseable', why: 'a text message that is not an AWS Budgets notification (no "AWS Budget Notification" and "Budget Name:" lines)', messageId: meta.messageId };
  }
  const alertType = fields.get('alert type')?.toUpperCase();
  const period = text.match(/\bper (day|month|quarter|year)\b/i)?.[1].toLowerCase() as BreakerPeriodUnit | undefined;
  return {
    kind: 'budget',
    budgetName,
    ...(fields.has('budget type') ? { budgetType: fields.get('budget type') } : {}),
    ...(fields.has('budgeted amount') ? { budgetedAmount: fields.get('budgeted amount') } : {}),
    ...(alertType ? { alertType } : {}),
    ...(fields.has('alert threshold') ? { alertThreshold: fields.get('alert threshold') } : {}),
    ...(alertType && fields.has(`${alertType.toLowerCase()} amount`) ? { amount: fields.get(`${alertType.toLowerCase()} amount`) } : {}),
    ...(period ? { periodUnit: period } : {}),
    ...(meta.messageId ? { messageId: meta.messageId } : {}),
    ...(meta.sentAt ? { sentAt: meta.sentAt } : {}),
  };
}

function parseReset(value: unknown): BreakerNotification {
  const r = value as Record<string, unknown> | null;
  if (!r || typeof r !== 'object' || typeof r.feature !== 'string' || r.feature.trim() === '') {
    return { kind: 'unparseable', why: 'a reset without a feature: send {"reset": {"feature": "<feature>"}} ("*" for the global breaker)' };
  }
  return {
    kind: 'reset', feature: r.feature.trim(),
    ...(typeof r.application === 'string' && r.application !== '' ? { application: r.application } : {}),
    ...(typeof r.reason === 'string' && r.reason !== '' ? { reason: r.reason } : {}),
    ...(typeof r.actor === 'string' && r.actor !== '' ? { actor: r.actor } : {}),
  };
}
