import { GuardEventDimension, METRIC, MetricDimension, NO_MODEL } from '../../shared/contract';
import type { LedgerEvent } from '../pipeline/guards/ledger-guard';
import type { GuardEventRecord } from '../pipeline/powertools-recorder';
import { logWarn } from './log';

/** Where guard events are recorded: the container's Powertools recorder. */
export interface GuardEventSink {
  recordGuardEvent(event: GuardEventRecord): void;
}

const METRIC_OF: Readonly<Record<LedgerEvent['kind'], GuardEventRecord['metric']>> = {
  failOpen: METRIC.guardFailOpen,
  failClosed: METRIC.guardFailClosed,
  holdsExpired: METRIC.guardHoldsExpired,
  allowancesExpired: METRIC.guardAllowancesExpired,
};

/** Stable messages, for log filters and alarms on logs. */
export const LEDGER_EVENT_MESSAGE: Readonly<Record<LedgerEvent['kind'], string>> = {
  failOpen: 'usage ledger unreachable; failing open on a per-container count',
  failClosed: 'usage ledger unreachable; failing closed (503)',
  holdsExpired: 'usage ledger: expired reservations given back',
  allowancesExpired: 'usage ledger: container allowances never settled stay counted',
};

/**
 * The ledger guard's events as one EMF record each (metric `GuardFailOpen`, `GuardFailClosed`, `GuardHoldsExpired`
 * or `GuardAllowancesExpired`; dimensions GUARD_EVENT_DIMENSIONS, i.e. Application; feature, tenant, user, scope and
 * window as properties) and a structured warning with a stable message.
 */
export function ledgerEventReporter(application: string, sink: GuardEventSink): (event: LedgerEvent) => void {
  return (event) => {
    const { kind, ...fields } = event;
    const dimensions: Record<GuardEventDimension, string> = { Application: application };
    sink.recordGuardEvent({ metric: METRIC_OF[kind], dimensions, properties: { guard: 'usage-ledger', ...fields } });
    logWarn(LEDGER_EVENT_MESSAGE[kind], { guard: 'usage-ledger', ...fields });
  };
}

/**
 * The breaker guard's fail-open read as one `BreakerUnavailable` record under the pipeline's own dimensions
 * (METRIC_DIMENSIONS; Model is `none`: no model was reached), so it sits beside the feature's other series.
 */
export function breakerUnavailableReporter(application: string, sink: GuardEventSink): (feature: string) => void {
  return (feature) => {
    const dimensions: Record<MetricDimension, string> = { Application: application, Feature: feature, Model: NO_MODEL };
    sink.recordGuardEvent({ metric: METRIC.breakerUnavailable, dimensions });
  };
}

/**
 * A request refused by a throttled feature's breaker as one `ThrottledRequests` record, under the same dimensions
 * as `BreakerUnavailable` (Model `none`); the request's own record counts it as `Rejected` with code
 * `FEATURE_THROTTLED` besides.
 */
export function breakerThrottledReporter(application: string, sink: GuardEventSink): (feature: string) => void {
  return (feature) => {
    const dimensions: Record<MetricDimension, string> = { Application: application, Feature: feature, Model: NO_MODEL };
    sink.recordGuardEvent({ metric: METRIC.throttledRequests, dimensions });
  };
}
