import { readBreakerHandlerConfig } from './config';
import { BreakerDecision, decide } from './decide';
import { parseBreakerEvent } from './notifications';
import { DynamoDbBreakerStore } from './state-store';
import { dynamoDbClient } from '../shared/clients';
import { logInfo, logWarn } from '../shared/log';

export type { BreakerDecision } from './decide';

// Read at init, as Lambda loads the handler after setting the environment: a missing table fails the first run.
const config = readBreakerHandlerConfig();
const store = new DynamoDbBreakerStore(dynamoDbClient(), config.tableName, { auditRetentionDays: config.auditRetentionDays });

/**
 * AWS Budgets and CloudWatch alarm notifications (through SNS) → open or close the breakers of the features they are
 * mapped to; `{ "reset": { "feature": "..." } }` invoked directly → close one breaker. Idempotent: a repeated
 * notification finds the state already as it asks and changes nothing. A message it cannot parse is logged and
 * ignored, so SNS does not retry it.
 */
export async function handler(event: unknown): Promise<BreakerDecision> {
  const decision = await decide(parseBreakerEvent(event), config, { store, log: logWarn });
  logInfo('breaker decision', { application: config.application, ...decision });
  return decision;
}
