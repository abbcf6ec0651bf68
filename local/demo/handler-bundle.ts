/**
 * The bundled handlers (assets/handlers/<workflow>/index.js, the code the constructs deploy): building them when
 * missing, and loading a fresh copy, which is what a new Lambda container does.
 *
 * In a clone they are this repository's, built on demand. From an install (the companion package
 * `genai-finops-local`) they are the installed genai-finops-constructs package's, which ships them built: the local
 * commands run exactly the code `cdk deploy` would upload, and never build anything.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Workflow, WORKFLOWS } from './function-env';

/** The repository root (this file is local/demo/handler-bundle.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The bundles `local invoke` may load: the workflows' and the circuit breaker's. */
export type BundleName = Workflow | 'breaker';
const BUNDLES: ReadonlyArray<BundleName> = [...WORKFLOWS, 'breaker'];

/** Where the bundles come from: a folder holding `<bundle>/index.js`, and whether it may be built here. */
interface BundleSource {
  readonly dir: string;
  readonly buildable: boolean;
}

let source: BundleSource = { dir: path.join(REPO_ROOT, 'assets', 'handlers'), buildable: true };

/** Loads the bundles from an installed package's `assets/handlers` folder from now on; they are never built. */
export function useInstalledHandlerBundles(dir: string): void {
  source = { dir, buildable: false };
}

/** Where a workflow's bundle lives. */
export function bundlePath(workflow: BundleName): string {
  return path.join(source.dir, workflow, 'index.js');
}

// Held while building, so that two CLI runs (parallel test files, say) never load a bundle the other is writing.
const BUILD_LOCK = path.join(REPO_ROOT, 'assets', '.genai-finops-build.lock');
const STALE_LOCK_MS = 120_000;

/**
 * Builds the bundles with `node scripts/build-handlers.mjs` when one is missing. The build's output goes to
 * stderr, so that stdout stays for results.
 */
export async function ensureHandlerBundles(log: (line: string) => void): Promise<void> {
  if (!source.buildable) {
    const missing = BUNDLES.filter((w) => !existsSync(bundlePath(w)));
    if (missing.length > 0) {
      throw new Error(`the handler bundles ${missing.map(bundlePath).join(', ')} are missing from the installed genai-finops-constructs: reinstall it.`);
    }
    return;
  }
  for (;;) {
    const missing = BUNDLES.filter((w) => !existsSync(bundlePath(w)));
    if (missing.length === 0 && !existsSync(BUILD_LOCK)) return;
    if (!takeLock()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      const stillMissing = BUNDLES.filter((w) => !existsSync(bundlePath(w)));
      if (stillMissing.length > 0) build(stillMissing, log);
    } finally {
      rmSync(BUILD_LOCK, { force: true });
    }
    return;
  }
}

function takeLock(): boolean {
  mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  try {
    closeSync(openSync(BUILD_LOCK, 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A lock left by a build that was killed.
    const lock = statSync(BUILD_LOCK, { throwIfNoEntry: false });
    if (lock && Date.now() - lock.mtimeMs > STALE_LOCK_MS) rmSync(BUILD_LOCK, { force: true });
    return false;
  }
}

function build(missing: ReadonlyArray<BundleName>, log: (line: string) => void): void {
  log(`building the handler bundles (missing: ${missing.join(', ')}) ...`);
  const result = spawnSync(process.execPath, [path.join('scripts', 'build-handlers.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (result.error) throw new Error(`could not run scripts/build-handlers.mjs: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`scripts/build-handlers.mjs failed with exit code ${result.status}; see the output above.`);
  const still = BUNDLES.filter((w) => !existsSync(bundlePath(w)));
  if (still.length > 0) throw new Error(`scripts/build-handlers.mjs did not produce ${still.map((w) => path.relative(REPO_ROOT, bundlePath(w))).join(', ')}.`);
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
