/**
 * The bundled handlers (assets/handlers/<workflow>/index.js, the code the constructs deploy) of the
 * genai-finops-constructs package whose CLI runs the command: it hands their folder over (`createLocalCommands`), so
 * that the local commands run exactly the code `cdk deploy` would upload, in a clone as in an install, and never
 * build anything. Loading one gives a fresh copy, which is what a new Lambda container does.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { installAwsLambdaGlobal } from '../template/lambda-streaming';
import { Workflow, WORKFLOWS } from './function-env';

/** The bundles `local invoke` may load: the workflows' and the circuit breaker's; and the demo chat's streaming API. */
export type BundleName = Workflow | 'breaker' | 'api-stream';
const BUNDLES: ReadonlyArray<BundleName> = [...WORKFLOWS, 'breaker'];

let bundlesDir: string | undefined;

/** Loads the bundles from this `assets/handlers` folder from now on. */
export function useHandlerBundles(dir: string): void {
  bundlesDir = dir;
}

/** Where a workflow's bundle lives. */
export function bundlePath(workflow: BundleName): string {
  if (bundlesDir === undefined) throw new Error('the handler bundles are not known: load the local commands with createLocalCommands({ handlersDir, ... }).');
  return path.join(bundlesDir, workflow, 'index.js');
}

/** Fails, naming the missing bundles and how to get them, unless every bundle is there. */
export function checkHandlerBundles(): void {
  const missing = BUNDLES.map(bundlePath).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`the handler bundles ${missing.join(', ')} are missing from genai-finops-constructs: in a clone of the repository run \`npm run build\`; else reinstall the package.`);
  }
}

/** A Lambda handler. */
export type LambdaHandler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

/**
 * Loads the workflow's bundle as a new container would: a fresh module instance that reads the current
 * environment at init. Set the environment first (see `applyEnvironment`).
 */
export function loadBundledHandler(workflow: BundleName): LambdaHandler {
  const file = require.resolve(bundlePath(workflow));
  delete require.cache[file];
  // Lambda's Node.js runtime provides `awslambda` before the module loads (a streaming handler calls it at load).
  installAwsLambdaGlobal();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(file) as { handler?: LambdaHandler };
  delete require.cache[file];
  if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler function.`);
  return module.handler;
}

/** A Lambda context object for a local invocation. */
export function lambdaContext(workflow: BundleName, requestId: string): Record<string, unknown> {
  return {
    awsRequestId: requestId,
    functionName: `genai-finops-local-${workflow}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:111122223333:function:genai-finops-local-${workflow}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/genai-finops-local-${workflow}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
  };
}
