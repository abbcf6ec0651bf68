/** `genai-finops local invoke --workflow breaker`: the bundled breaker handler on an SNS event, against DynamoDB Local. */
import { randomUUID } from 'node:crypto';
import { BreakerHandlerConfig, ENV } from '../../../../shared/contract';
import { applyEnvironment } from '../demo/function-env';
import { bundlePath, checkHandlerBundles, loadBundledHandler } from '../demo/handler-bundle';
import { createBreakerTable } from '../demo/resources';
import { localClientConfig, startDynamoDbLocal } from '../services';
import type { ResolvedFunction } from '../template';
import { localLambdaContext, localRuntimeEnvironment } from '../template/runtime-environment';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/resolve';
import type { CommandIo } from './command-io';
import { printInvocation } from './print-invocation';

/**
 * Runs the breaker handler once on `event` with the environment the CircuitBreaker construct gives `fn` (the
 * configuration `config` in place of the construct's when given); prints its decision (or the error) as JSON;
 * resolves to the exit code.
 */
export async function invokeBreaker(
  event: unknown, config: BreakerHandlerConfig, fn: ResolvedFunction, io: CommandIo,
): Promise<number> {
  const { out, log, onShutdown } = io;
  checkHandlerBundles();
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
