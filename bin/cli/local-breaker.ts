/** `genai-finops local invoke --workflow breaker`: the bundled breaker handler on an SNS event, against DynamoDB Local. */
import { randomUUID } from 'node:crypto';
import { BreakerHandlerConfig, ENV } from '../../lambda/contract';
import { applyEnvironment, LOCAL_REGION } from '../../local/demo/function-env';
import { bundlePath, ensureHandlerBundles, lambdaContext, loadBundledHandler } from '../../local/demo/handler-bundle';
import { createBreakerTable } from '../../local/demo/resources';
import { localClientConfig, startDynamoDbLocal } from '../../local/services';
import { printInvocation } from './print-invocation';
import { onShutdown } from './shutdown';

/**
 * The configuration the CircuitBreaker construct would write for the example app: the monthly GenAI budget trips
 * every feature, the support chat's hourly spend alarm trips the support chat. The sample events name both.
 */
export const LOCAL_BREAKER_CONFIG: BreakerHandlerConfig = Object.freeze({
  tableName: 'genai-finops-local-breaker',
  application: 'customer-support',
  budgets: [{ name: 'genai-monthly-total', features: ['*'] }],
  alarms: [{ name: 'genai-support-chat-spend', features: ['support-chat'] }],
  alarmPeriod: 'month',
});

/** Runs the breaker handler once on `event`; prints its decision (or the error) as JSON; resolves to the exit code. */
export async function invokeBreaker(
  event: unknown, config: BreakerHandlerConfig, out: (text: string) => Promise<void>, log: (line: string) => void,
): Promise<number> {
  await ensureHandlerBundles(log);
  const dynamodbLocal = await startDynamoDbLocal();
  onShutdown(() => dynamodbLocal.stop());
  log(`DynamoDB Local ${dynamodbLocal.endpoint}`);
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient(localClientConfig(dynamodbLocal.endpoint));
  await createBreakerTable(client, config.tableName);
  client.destroy();
  log(`created table ${config.tableName} (circuit breaker states and audit)`);

  const requestId = randomUUID();
  log(`invoking ${bundlePath('breaker')} (request id ${requestId}) ...`);
  const restoreEnv = applyEnvironment({
    [ENV.breakerConfig]: JSON.stringify(config),
    [ENV.tags]: JSON.stringify({ Application: config.application, Environment: 'development', Feature: 'circuit-breaker' }),
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: 'genai-finops-local-breaker',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    [ENV.dynamodbEndpoint]: dynamodbLocal.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  return printInvocation(() => loadBundledHandler('breaker')(event, lambdaContext('breaker', requestId)), restoreEnv, out, log);
}
