import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The runtime handlers this package ships, pre-bundled by its build step. */
export enum BundledHandler {
  /** API Gateway proxy requests. */
  API = 'api',
  /** API Gateway proxy requests answered through Lambda response streaming (server-sent events or JSON). */
  API_STREAM = 'api-stream',
  /** S3 object-created events (EventBridge or S3 notifications). */
  DOCUMENT = 'document',
  /** EventBridge scheduled events. */
  SCHEDULED = 'scheduled',
  /** SNS notifications of AWS Budgets and CloudWatch alarms, and manual resets: the circuit breaker. */
  BREAKER = 'breaker',
  /** A daily schedule: the meter ↔ bill reconciliation (Athena). */
  RECONCILE = 'reconcile',
  /** SQS messages of the alert topics and the breaker's decisions: the chat and webhook alert notifier. */
  NOTIFIER = 'notifier',
}

/**
 * The Lambda runtime the bundled handlers deploy on (`GenAiFunction`'s). `scripts/build.mjs` reads the
 * Node.js major version from this line for esbuild's target, so the bundles are written for the runtime that runs
 * them: keep it in the form `lambda.Runtime.NODEJS_<major>_X`.
 */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

const PACKAGE_NAME = 'genai-finops-constructs';

/**
 * The Lambda code of a bundled handler.
 *
 * The handlers are bundled once, when this package is built (`npm run build:handlers`), into
 * `assets/handlers/<name>/index.js`. Shipping the bundles means an app that uses these constructs needs
 * neither esbuild, Docker, this package's TypeScript sources nor its lockfile to synthesize.
 */
export function bundledHandlerCode(handler: BundledHandler): lambda.Code {
  const dir = path.join(packageRoot(), 'assets', 'handlers', handler);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(
      `${PACKAGE_NAME}: the bundled '${handler}' handler is missing (${path.join('assets', 'handlers', handler, 'index.js')} ` +
      'under the package). Fix: run `npm run build:handlers` in a clone of this package; an installed package ships it.',
    );
  }
  return lambda.Code.fromAsset(dir);
}

let cachedRoot: string | undefined;

// Found by walking up rather than with a fixed '../..', because this file runs both from the sources (ts)
// and from the compiled package (dist/lib/...).
function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  while (true) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME}: cannot find the package root above this module.`);
    dir = parent;
  }
}
