/** `genai-finops local invoke --workflow breaker`: the bundled breaker handler on an SNS event, against DynamoDB Local. */
import { randomUUID } from 'node:crypto';
import { BreakerHandlerConfig, ENV } from '../../lambda/contract';
import { applyEnvironment } from '../../local/demo/function-env';
import { bundlePath, ensureHandlerBundles, loadBundledHandler } from '../../local/demo/handler-bundle';
import { createBreakerTable } from '../../local/demo/resources';
import { localClientConfig, startDynamoDbLocal } from '../../local/services';
import type { ResolvedFunction } from '../../local/template';
import { localLambdaContext, localRuntimeEnvironment } from '../../local/template/runtime-environment';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template/resolve';
import { printInvocation } from './print-invocation';
import { onShutdown } from './shutdown';

/**
 * Runs the breaker handler once on `event` with the environment the CircuitBreaker construct gives `fn` (the
 * configuration `config` in place of the construct's when given); prints its decision (or the error) as JSON;
 * resolves to the exit code.
 */
export async function invokeBreaker(
  event: unknown, config: BreakerHandlerConfig, fn: ResolvedFunction, out: (text: string) => Promise<void>, log: (line: string) => void,
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
    ...fn.environment,
    [ENV.breakerConfig]: JSON.stringify(config),
    ...localRuntimeEnvironment(fn, { dynamodb: dynamodbLocal.endpoint }),
  });
  return printInvocation(() => loadBundledHandler('breaker')(event, localLambdaContext(fn, requestId, LOCAL_ACCOUNT, LOCAL_REGION)), restoreEnv, out, log);
}
