import { Alert } from './alert';

/**
 * The framework's alert response, as steps a message can name: review the dashboard, drill into Cost Explorer by
 * feature, model and customer, decide whether the spike is legitimate growth or an anomaly (a bug, abuse), then act:
 * scale back if anomaly, expand the budget if legitimate, optimize the architecture; record what was found.
 */
export interface RunbookStep {
  /** The question the alert asks. */
  readonly decide: string;
  /** What to do for each answer. */
  readonly act: string;
}

/** The step for this alert; none for a recovery (nothing to decide). */
export function runbookStepOf(alert: Alert): RunbookStep | undefined {
  if (alert.recovered || alert.kind === 'unknown') return undefined;
  const where = alert.feature && alert.feature !== '*' ? `feature ${alert.feature}` : 'the application';
  switch (alert.kind) {
    case 'anomaly':
      return {
        decide: `Anomaly or growth? Cost Anomaly Detection saw spend outside its learned pattern: check the root cause and whether ${where} launched or grew on purpose.`,
        act: 'Anomaly (a bug, a loop, abuse): scale back (pause or downgrade the feature, rate-limit the tenant). Growth: raise the budget and thresholds. Either way: optimize (routing, caching, prompt size).',
      };
    case 'breaker':
      return {
        decide: `The breaker already acted on ${where}. Growth or anomaly? Look at the cost trend and the requests behind it.`,
        act: 'Anomaly: keep it paused until fixed, then reset (genai-finops breaker reset). Growth: raise the budget or alarm threshold that tripped it, then reset. Optimize before the next period.',
      };
    default:
      return {
        decide: `Growth or anomaly? Compare ${where}'s cost trend with its traffic: more requests at the same cost per request is growth; higher cost per request, one tenant or one model is an anomaly.`,
        act: 'Anomaly: scale back (the circuit breaker, usage limits, a cheaper tier). Growth: raise the budget or threshold. Then optimize (routing, prompt cache, response cache, batch).',
      };
  }
}
