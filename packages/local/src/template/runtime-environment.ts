/**
 * What the Lambda runtime adds to a function's environment and context, locally: its name, memory and Region, local
 * credentials, and the endpoint overrides that point its AWS clients at the Bedrock simulator, DynamoDB Local and
 * the local S3 instead of a real account.
 */
import { ENV, PipelineConfigDocument } from '../../../../shared/contract';
import { LOCAL_REGION } from './resolve';

/** Endpoints of the local services. */
export interface LocalEndpoints {
  readonly bedrock: string;
  readonly dynamodb: string;
  readonly s3: string;
}

/** The function as the runtime sees it. */
export interface LocalFunctionIdentity {
  readonly functionName: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
}

/** The runtime's variables and the local endpoint overrides, to add to the environment the template gives. */
export function localRuntimeEnvironment(fn: LocalFunctionIdentity, endpoints: Partial<LocalEndpoints>, region = LOCAL_REGION): Record<string, string> {
  return {
    // What the Lambda runtime sets.
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Local only: the clients talk to the simulator and the local services, and never look for real credentials.
    ...(endpoints.bedrock ? { [ENV.bedrockEndpoint]: endpoints.bedrock } : {}),
    ...(endpoints.dynamodb ? { [ENV.dynamodbEndpoint]: endpoints.dynamodb } : {}),
    ...(endpoints.s3 ? { [ENV.s3Endpoint]: endpoints.s3 } : {}),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** How long a local run waits for DynamoDB Local before the ledger fails closed or the breaker fails open. */
export const LOCAL_STATE_TABLE_TIMEOUT_MS = 15_000;

/**
 * The one local change to a function's configuration: the usage ledger and the circuit breaker wait
 * {@link LOCAL_STATE_TABLE_TIMEOUT_MS} for their tables. DynamoDB Local on a busy machine (a cold JVM, a burst of
 * 200) can take seconds where DynamoDB takes milliseconds; with the deployed defaults (1.5 s, 1 s) the ledger would
 * refuse with 503 and the breaker let a tripped feature through, which says nothing about the deployed function.
 */
export function withLocalStateTableTimeouts(env: Record<string, string>): Record<string, string> {
  const json = env[ENV.pipelineConfig];
  if (json === undefined) return env;
  const config = JSON.parse(json) as PipelineConfigDocument;
  if (!config.guards) return env;
  const { breaker } = config.guards;
  const guards = {
    ...config.guards,
    ledgerTimeoutMs: LOCAL_STATE_TABLE_TIMEOUT_MS,
    ...(breaker ? { breaker: { ...breaker, readTimeoutMs: LOCAL_STATE_TABLE_TIMEOUT_MS } } : {}),
  };
  return { ...env, [ENV.pipelineConfig]: JSON.stringify({ ...config, guards }) };
}

/** A Lambda context object for one local invocation of the function. */
export function localLambdaContext(fn: LocalFunctionIdentity, requestId: string, account: string, region = LOCAL_REGION): Record<string, unknown> {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    awsRequestId: requestId,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memorySize),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
