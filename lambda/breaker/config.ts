import { BreakerHandlerConfig, ENV } from '../../shared/contract';

/**
 * The breaker Lambda's configuration from its environment ({@link ENV.breakerConfig}, written by the
 * CircuitBreaker construct). Throws at init on a deployment mistake, so the first notification fails loudly.
 */
export function readBreakerHandlerConfig(env: NodeJS.ProcessEnv = process.env): BreakerHandlerConfig {
  const raw = env[ENV.breakerConfig];
  if (!raw) throw new Error(`${ENV.breakerConfig} is not set; the CircuitBreaker construct sets it.`);
  let parsed: Partial<BreakerHandlerConfig>;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`${ENV.breakerConfig} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!parsed.tableName) throw new Error(`${ENV.breakerConfig}: tableName is missing.`);
  let application = parsed.application;
  if (!application) {
    try {
      application = JSON.parse(env[ENV.tags] ?? '{}').Application;
    } catch {
      application = undefined;
    }
  }
  if (!application) throw new Error(`${ENV.breakerConfig}: application is missing and ${ENV.tags} has no Application tag.`);
  return { ...parsed, budgets: parsed.budgets ?? [], alarms: parsed.alarms ?? [], tableName: parsed.tableName, application };
}
