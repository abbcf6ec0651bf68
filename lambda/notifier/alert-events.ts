import { createHash } from 'node:crypto';
import type { BreakerOutcome } from '../breaker/decide';
import { parseSnsMessage } from '../breaker/notifications';
import { Alert } from './alert';

/**
 * The alerts in one SQS message body. Two shapes arrive: an SNS notification (the library's alert topics, delivered
 * to the queue without raw message delivery: `{"Type":"Notification","MessageId",...,"Message"}`), whose message is
 * a CloudWatch alarm's state change, an AWS Budgets text or a Cost Anomaly Detection JSON; and a Lambda destination
 * record of the circuit breaker's function (`requestContext`, `responsePayload`: what it tripped and reset).
 *
 * Returns no alert for a record that needs no message (a breaker event that changed nothing). Never throws: a body
 * it cannot read becomes an `unknown` alert with its subject, so that nobody misses it.
 */
export function alertsOfBody(body: string, application?: string): Alert[] {
  let value: any;
  try {
    value = JSON.parse(body);
  } catch {
    return [unknownAlert('a message that is not JSON', body)];
  }
  if (value && typeof value === 'object' && value.requestContext && 'responsePayload' in value) return breakerAlerts(value, application);
  if (value && value.Type === 'Notification' && typeof value.Message === 'string') {
    return [alertOfSns(value.Message, { messageId: value.MessageId, sentAt: value.Timestamp, subject: value.Subject })];
  }
  return [unknownAlert('a message that is neither an SNS notification nor a breaker decision', body)];
}

interface SnsMeta {
  readonly messageId?: string;
  readonly sentAt?: string;
  readonly subject?: string;
}

function alertOfSns(message: string, meta: SnsMeta): Alert {
  const trimmed = message.trim();
  if (trimmed.startsWith('{')) {
    let json: any;
    try {
      json = JSON.parse(trimmed);
    } catch {
      return unknownAlert(meta.subject ?? 'a JSON message that does not parse', meta.messageId ?? trimmed);
    }
    if (typeof json.AlarmName === 'string' && typeof json.NewStateValue === 'string') return alarmAlert(json);
    if (typeof json.anomalyId === 'string') return anomalyAlert(json);
    return unknownAlert(meta.subject ?? 'an SNS message of an unknown shape', meta.messageId ?? trimmed);
  }
  const budget = parseSnsMessage(trimmed, meta);
  if (budget.kind === 'budget') {
    const sentAt = meta.sentAt ?? new Date(0).toISOString();
    return {
      kind: 'budget',
      title: `Budget ${budget.budgetName}: ${budget.alertType ?? 'ACTUAL'} cost ${budget.amount ?? ''} is over its alert threshold`.replace(/\s+is/, ' is'),
      state: budget.alertType ?? 'ACTUAL',
      recovered: false,
      ...(budget.amount ? { current: budget.amount } : {}),
      ...(budget.alertThreshold ? { threshold: `${budget.alertThreshold}${budget.budgetedAmount ? ` of ${budget.budgetedAmount}` : ''}` } : {}),
      occurredAt: sentAt,
      // A budget notifies once per threshold and period: its name, the kind and threshold, and the day it was sent
      // (SNS may deliver one publication twice, with one MessageId; Budgets does not repeat itself within a day).
      deliveryKey: `budget#${budget.budgetName}#${budget.alertType ?? ''}#${budget.alertThreshold ?? ''}#${sentAt.slice(0, 10)}`,
    };
  }
  return unknownAlert(meta.subject ?? 'a text message that is not an AWS Budgets notification', meta.messageId ?? trimmed);
}

function alarmAlert(json: any): Alert {
  const state = String(json.NewStateValue);
  const dimensions = alarmDimensions(json.Trigger);
  const recovered = state === 'OK';
  const current = currentValueOf(json.NewStateReason);
  const threshold = json.Trigger?.Threshold;
  const changedAt = typeof json.StateChangeTime === 'string' ? json.StateChangeTime : new Date(0).toISOString();
  return {
    kind: 'alarm',
    title: `${json.AlarmName} is ${state}${json.OldStateValue ? ` (was ${json.OldStateValue})` : ''}`,
    state,
    recovered,
    ...(dimensions.Application ? { application: dimensions.Application } : {}),
    ...(dimensions.Feature ? { feature: dimensions.Feature } : {}),
    ...(dimensions.Model ? { model: dimensions.Model } : dimensions.ModelId ? { model: dimensions.ModelId } : {}),
    ...(dimensions.TenantId ? { tenant: dimensions.TenantId } : {}),
    ...(current !== undefined ? { current } : {}),
    ...(typeof threshold === 'number' && !thresholdIsBand(json.Trigger) ? { threshold: String(threshold) } : thresholdIsBand(json.Trigger) ? { threshold: 'the anomaly band' } : {}),
    detail: [json.AlarmDescription, json.NewStateReason].filter((s) => typeof s === 'string' && s !== '').join(' '),
    occurredAt: changedAt,
    // One transition of one alarm: its ARN, the time and the state it changed to. The alarm may notify several of
    // the topics delivered here (GenAiAlarms' topic and its spend topic): still one post.
    deliveryKey: `alarm#${json.AlarmArn ?? json.AlarmName}#${changedAt}#${state}`,
  };
}

// The dimensions of the alarm's metric, or the first metric of its math that has Application (the library's alarms
// are metric math over one series per model).
function alarmDimensions(trigger: any): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (list: any) => {
    for (const d of Array.isArray(list) ? list : []) {
      const name = d?.name ?? d?.Name;
      const value = d?.value ?? d?.Value;
      if (typeof name === 'string' && typeof value === 'string' && !(name in out)) out[name] = value;
    }
  };
  add(trigger?.Dimensions);
  for (const m of Array.isArray(trigger?.Metrics) ? trigger.Metrics : []) {
    const dims = m?.MetricStat?.Metric?.Dimensions;
    if (Array.isArray(dims) && dims.some((d: any) => (d?.name ?? d?.Name) === 'Application')) add(dims);
  }
  // An alarm over several series names the model (or feature, or application) only when they all share it: a
  // workflow's spend alarm adds up one series per model, the total spend alarm one per workflow.
  for (const name of ['Application', 'Feature', 'Model']) {
    const values = new Set((Array.isArray(trigger?.Metrics) ? trigger.Metrics : [])
      .map((m: any) => (m?.MetricStat?.Metric?.Dimensions ?? []).find((d: any) => (d?.name ?? d?.Name) === name))
      .filter((d: any) => d !== undefined)
      .map((d: any) => d.value ?? d.Value));
    if (values.size > 1) delete out[name];
  }
  return out;
}

function thresholdIsBand(trigger: any): boolean {
  return typeof trigger?.ThresholdMetricId === 'string' && trigger.ThresholdMetricId !== '';
}

// "Threshold Crossed: 1 datapoint [12.5 (06/12/26 20:00:00)] was greater than the threshold (10.0)."
function currentValueOf(reason: unknown): string | undefined {
  if (typeof reason !== 'string') return undefined;
  return /\[(-?[\d.]+(?:E-?\d+)?)\s*\(/i.exec(reason)?.[1];
}

function anomalyAlert(json: any): Alert {
  const impact = json.impact ?? {};
  const cause = Array.isArray(json.rootCauses) ? json.rootCauses[0] : undefined;
  const money = (n: unknown) => (typeof n === 'number' ? `$${n.toFixed(2)}` : undefined);
  const current = money(impact.totalActualSpend);
  const expected = money(impact.totalExpectedSpend);
  const totalImpact = money(impact.totalImpact);
  const causeText = cause ? [cause.service, cause.usageType, cause.region].filter(Boolean).join(', ') : undefined;
  return {
    kind: 'anomaly',
    title: `Cost anomaly${json.monitorName ? ` on ${json.monitorName}` : json.dimensionalValue ? ` on ${json.dimensionalValue}` : ''}: ${totalImpact ?? 'an unexpected'} above the expected spend`,
    state: 'ANOMALY',
    recovered: false,
    ...(current ? { current } : {}),
    ...(expected ? { threshold: `${expected} expected` } : {}),
    ...(causeText ? { detail: `Root cause: ${causeText}.` } : {}),
    occurredAt: typeof json.anomalyEndDate === 'string' ? json.anomalyEndDate : typeof json.anomalyStartDate === 'string' ? json.anomalyStartDate : new Date(0).toISOString(),
    ...(typeof json.anomalyDetailsLink === 'string' && json.anomalyDetailsLink.startsWith('https://') ? { sourceLink: json.anomalyDetailsLink } : {}),
    // An open anomaly is notified again as its impact grows: each new impact is news, a repeat of one is not.
    deliveryKey: `anomaly#${json.anomalyId}#${impact.totalImpact ?? ''}`,
  };
}

const BREAKER_OUTCOMES: ReadonlyArray<BreakerOutcome> = ['opened', 'joined', 'released', 'closed'];
interface BreakerChangeRecord { feature: string; outcome: BreakerOutcome; source?: string; heldBy: string[]; effect?: string }

// The breaker's decision (lambda/breaker/decide.ts `BreakerDecision`) lists each change with its outcome: a fresh
// trip, a source joining a breaker already open, a source letting go while others still hold it open, and a close.
// Only a close is a recovery. A decision without `changes` (a breaker function older than this notifier) cannot tell
// a close from a release, nor a trip from a join: it is posted as a change, never as a recovery.
function breakerAlerts(record: any, application?: string): Alert[] {
  const decision = record.responsePayload ?? {};
  const cause = causeOf(record.requestPayload);
  const at = typeof record.timestamp === 'string' ? record.timestamp : new Date(0).toISOString();
  // One invocation of the breaker is one requestId, kept across Lambda's own retries of that invocation.
  const id = record.requestContext?.requestId ?? at;
  const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((f): f is string => typeof f === 'string') : []);
  const changes: BreakerChangeRecord[] = Array.isArray(decision.changes)
    ? decision.changes
      .filter((c: any) => typeof c?.feature === 'string' && BREAKER_OUTCOMES.includes(c?.outcome))
      .map((c: any) => ({
        feature: c.feature, outcome: c.outcome, ...(typeof c.source === 'string' ? { source: c.source } : {}), heldBy: strings(c.heldBy),
        ...(typeof c.effect === 'string' ? { effect: c.effect } : {}),
      }))
    : [];
  const legacy = !Array.isArray(decision.changes);
  const make = (change: BreakerChangeRecord, state: string, title: string, detail: string): Alert => ({
    kind: 'breaker',
    title,
    state,
    recovered: state === 'RESET',
    ...(application ? { application } : {}),
    feature: change.feature,
    detail,
    occurredAt: at,
    deliveryKey: `breaker#${id}#${state}#${change.feature}`,
  });
  const generally = 'Non-critical requests of the feature are paused (503), throttled to a share of their rate (429 for the rest) or downgraded to a cheaper tier until the breaker closes.';
  // What the breaker does to the feature, when its decision says (the construct knows each workflow's mode).
  const effectOf = (change: BreakerChangeRecord): string => (change.effect === undefined
    ? generally
    : change.feature === '*' ? `Until the breaker closes: ${change.effect}.` : `Feature ${change.feature} is ${change.effect} until the breaker closes.`);
  const alerts = changes.map((change) => {
    const paused = effectOf(change);
    const what = change.feature === '*' ? 'every feature' : `feature ${change.feature}`;
    const who = sourceName(change.source) ?? cause ?? 'a source';
    const others = change.heldBy.length > 0 ? change.heldBy.map(sourceName).join(', ') : undefined;
    switch (change.outcome) {
      case 'opened':
        return make(change, 'TRIPPED', `Circuit breaker tripped for ${what} by ${who}`, paused);
      case 'joined':
        return make(change, 'JOINED', `Circuit breaker for ${what}: ${who} joined; it was already open${others ? ` (held by ${others})` : ''}`,
          `The breaker stays open until every source holding it lets go. ${paused}`);
      case 'released':
        return make(change, 'RELEASED', `Circuit breaker for ${what}: ${who} let go; still held open by ${others ?? 'another source'}`,
          `Not recovered: ${stays(change)} until ${others ?? 'the other source'} lets go too.`);
      default:
        return make(change, 'RESET', `Circuit breaker reset for ${what}: ${change.source?.startsWith('manual:') ? who : `${who} let go, the last source holding it`}`,
          'The breaker is closed: the feature serves as before.');
    }
  });
  if (!legacy) return alerts;
  const byCause = cause ? ` by ${cause}` : '';
  return [
    ...strings(decision.tripped).map((feature) => make({ feature, outcome: 'opened', heldBy: [] }, 'TRIPPED',
      `Circuit breaker tripped for ${feature === '*' ? 'every feature' : `feature ${feature}`}${byCause}`, generally)),
    ...strings(decision.reset).map((feature) => make({ feature, outcome: 'released', heldBy: [] }, 'RELEASED',
      `Circuit breaker for ${feature === '*' ? 'every feature' : `feature ${feature}`}: let go${byCause}; closed, or still held open by another source`,
      'The breaker\'s decision does not say whether another source still holds it open: check its state in the breaker table before taking this as a recovery.')),
  ];
}

// What stays as it is while a breaker is still held open.
function stays(change: BreakerChangeRecord): string {
  if (change.effect === undefined) return 'the feature stays paused, throttled or downgraded';
  return change.feature === '*' ? `every feature stays as the breaker holds it (${change.effect})` : `the feature stays ${change.effect}`;
}

// `alarm:genai-spend` → `alarm genai-spend`, as the titles read; `manual:ops@example.com` → `a manual reset by ...`.
function sourceName(source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  const [kind, ...rest] = source.split(':');
  const name = rest.join(':');
  if (kind === 'manual') return `a manual reset by ${name}`;
  return name ? `${kind} ${name}` : source;
}

// What the breaker acted on: the alarm or budget in the SNS event it was invoked with.
function causeOf(payload: any): string | undefined {
  const sns = payload?.Records?.[0]?.Sns;
  if (typeof sns?.Message !== 'string') return payload?.reset ? 'a manual reset' : undefined;
  const parsed = parseSnsMessage(sns.Message, { messageId: sns.MessageId, sentAt: sns.Timestamp, subject: sns.Subject });
  if (parsed.kind === 'alarm') return `alarm ${parsed.alarmName}`;
  if (parsed.kind === 'budget') return `budget ${parsed.budgetName}`;
  return undefined;
}

function unknownAlert(what: string, identity: string): Alert {
  return {
    kind: 'unknown',
    title: `A notification the notifier does not recognise: ${what.slice(0, 200)}`,
    state: 'UNKNOWN',
    recovered: false,
    occurredAt: new Date(0).toISOString(),
    deliveryKey: `unknown#${hashOf(identity)}`,
  };
}

// A short, stable name for a text too long for a key.
function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
