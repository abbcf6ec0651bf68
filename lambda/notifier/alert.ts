/** What the notifier posts about one notification, whatever sent it. */
export type AlertKind = 'alarm' | 'budget' | 'anomaly' | 'breaker' | 'unknown';

/** One alert, as the messages show it. */
export interface Alert {
  readonly kind: AlertKind;
  /** One line: what fired. */
  readonly title: string;
  /** `ALARM`, `OK`, `TRIPPED`, `JOINED` and `RELEASED` (the breaker stays open), `RESET` (it closed), `ACTUAL`, `FORECASTED`, `ANOMALY`. */
  readonly state: string;
  /** Whether this is a recovery (an alarm back to OK, a breaker closed): no runbook step then. A release is not. */
  readonly recovered: boolean;
  readonly application?: string;
  readonly feature?: string;
  readonly model?: string;
  readonly tenant?: string;
  /** The value that fired it, as the source wrote it (`$85.12`, `12.5`). */
  readonly current?: string;
  readonly threshold?: string;
  /** Why, in the source's words (the alarm's reason, the anomaly's root cause). */
  readonly detail?: string;
  /** When it happened (ISO 8601). */
  readonly occurredAt: string;
  /** What makes two deliveries of one transition the same: the claim's key. */
  readonly deliveryKey: string;
  /** A link the source gives (the anomaly's details page). */
  readonly sourceLink?: string;
}
