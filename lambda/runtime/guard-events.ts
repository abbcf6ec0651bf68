import { METRIC, METRIC_NAMESPACE } from '../contract';
import type { LedgerEvent } from '../pipeline/guards/ledger-guard';
import { logWarn } from './log';

const METRIC_OF: Readonly<Record<LedgerEvent['kind'], string>> = {
  failOpen: METRIC.guardFailOpen,
  failClosed: METRIC.guardFailClosed,
  holdsExpired: METRIC.guardHoldsExpired,
};

/** Stable messages, for log filters and alarms on logs. */
export const LEDGER_EVENT_MESSAGE: Readonly<Record<LedgerEvent['kind'], string>> = {
  failOpen: 'usage ledger unreachable; failing open on a per-container count',
  failClosed: 'usage ledger unreachable; failing closed (503)',
  holdsExpired: 'usage ledger: expired reservations given back',
};

/**
 * The ledger guard's events as one EMF line each (metric `GuardFailOpen`, `GuardFailClosed` or
 * `GuardHoldsExpired`, dimension Application; feature, tenant, user, scope and window as properties) and a
 * structured warning with a stable message.
 */
export function ledgerEventReporter(application: string): (event: LedgerEvent) => void {
  return (event) => {
    const name = METRIC_OF[event.kind];
    const { kind, ...fields } = event;
    void kind;
    process.stdout.write(`${JSON.stringify({
      _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Application']], Metrics: [{ Name: name, Unit: 'Count' }] }] },
      Application: application, [name]: 1, guard: 'usage-ledger', ...fields,
    })}\n`);
    logWarn(LEDGER_EVENT_MESSAGE[event.kind], { guard: 'usage-ledger', ...fields });
  };
}
