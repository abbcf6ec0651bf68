/**
 * AWS's own DynamoDB Local, in memory, for tests, the CLI demo and benchmarks.
 *
 * The jar comes from the `amplify-dynamodb-simulator` npm package, which vendors DynamoDB Local. Only
 * its files are used, never its JS API (that pulls in the Amplify CLI core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from './client-config';
import { BIND_WARNING_MARKER, LAUNCHER_CLASS, LISTENING_MARKER, prepareLauncher, type CompiledLauncher } from './dynamodb-local-launcher';

export { localClientConfig } from './client-config';

/** A running DynamoDB Local. */
export interface LocalDynamoDb {
  /** Base URL for SDK clients, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Process id of the JVM (diagnostics; tests use it to prove the JVM is gone after `stop()`). */
  readonly pid: number;
  /** Kills the JVM and resolves once it has exited (the port is free then). Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /** Fixed port. Default: a free port chosen by the OS (retried if another process grabs it first). */
  readonly port?: number;
  /**
   * Let the JVM compile hot code fully (C2). Starts slower, answers faster once warm: for benchmarks that measure
   * request latency rather than test wall time. Default: false.
   */
  readonly steadyState?: boolean;
}

/**
 * How long the JVM may take to answer ListTables before we give up: measured ~1.5–2.5 s on an idle 2-core machine,
 * over 20 s on one shared with other builds. A bound that catches a hang, not a measure of the machine.
 */
const STARTUP_TIMEOUT_MS = 90_000;
const POLL_INTERVAL_MS = 100;
/**
 * First probe's limit (a foreign server on the port may accept the connection and never answer); each later probe
 * waits twice as long, up to {@link MAX_PROBE_TIMEOUT_MS}: on a busy machine the JVM's first answer (its warm-up)
 * takes longer than 2 s, and probes that always give up at 2 s would never see it.
 */
const PROBE_TIMEOUT_MS = 2_000;
const MAX_PROBE_TIMEOUT_MS = 16_000;
/** Attempts when the OS-chosen port is taken between our probe and the JVM's bind. */
const FREE_PORT_ATTEMPTS = 3;
/** How much of the JVM's output to keep for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * JVM flags tuned for a fast start of a short-lived server on a small machine: C1 only (C2 compiles
 * cost more than they save in a test run), serial GC (no GC threads to spin up), class-data sharing
 * for JDK classes, no hsperfdata file in /tmp, and a heap cap so parallel jest workers fit in memory.
 */
const JVM_FLAGS = [
  '-Xshare:auto',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:-UsePerfData',
  '-Xms32m',
  '-Xmx256m',
  '-XX:+ExitOnOutOfMemoryError',
];

/**
 * `-inMemory`: nothing on disk, a fresh database per start.
 * `-sharedDb`: one database for all credentials and regions; without it DynamoDB Local keeps a separate
 *   database per access key + region, so a handler using other (e.g. environment) credentials would
 *   silently see no tables.
 * `-disableTelemetry`: DynamoDB Local >= 1.24 otherwise tries to send telemetry to AWS on start.
 */
const EMULATOR_FLAGS = ['-inMemory', '-sharedDb', '-disableTelemetry'];

/**
 * Starts DynamoDB Local in memory on 127.0.0.1 and resolves once it answers a ListTables call.
 *
 * Each call starts a separate JVM with an empty database. Call `stop()` when done; if the Node process
 * exits or dies first, the JVM is killed too (an `exit` handler plus a stdin watchdog in the JVM).
 *
 * Needs a Java runtime (17 recommended) on PATH. With a JDK (`javac` present) the server is bound to
 * 127.0.0.1 only; with a bare JRE it falls back to the stock launcher, which listens on all interfaces,
 * and emits a process warning saying so.
 *
 * @example
 * const dynamodb = await startDynamoDbLocal();
 * const client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
 * // ...
 * await dynamodb.stop();
 */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<LocalDynamoDb> {
  const emulator = locateEmulator();
  const prepared = await prepareLauncher(emulator.nodeModulesDir);
  const launcher = prepared.ok ? prepared.launcher : undefined;

  const attempts = options.port === undefined ? FREE_PORT_ATTEMPTS : 1;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await findFreePort());
      try {
        const dynamodb = await launch(emulator, launcher, port, Boolean(options.steadyState));
        // Warn only once java did run: if it is missing, the start error says what to install.
        if (!prepared.ok) warnOnce(`DynamoDB Local listens on all interfaces, not only 127.0.0.1: ${prepared.reason}. Install a JDK 17 to bind it to loopback.`);
        return dynamodb;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
      }
    }
  } catch (error) {
    await launcher?.dispose();
    throw error;
  }
}

interface EmulatorFiles {
  readonly dir: string;
  readonly jar: string;
  readonly libDir: string;
  readonly nodeModulesDir: string | undefined;
}

function locateEmulator(): EmulatorFiles {
  let packageJson: string;
  try {
    packageJson = require.resolve('amplify-dynamodb-simulator/package.json');
  } catch {
    throw new Error('DynamoDB Local not found: `amplify-dynamodb-simulator` (which ships DynamoDBLocal.jar) is not installed. '
      + 'In a clone run `npm ci`; in an app, reinstall genai-finops-local, which depends on it.');
  }
  const packageDir = path.dirname(packageJson);
  const dir = path.join(packageDir, 'emulator');
  const jar = path.join(dir, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) {
    throw new Error(`DynamoDB Local jar missing at ${jar}: reinstall \`amplify-dynamodb-simulator\`.`);
  }
  const parent = path.dirname(packageDir);
  return {
    dir,
    jar,
    libDir: path.join(dir, 'DynamoDBLocal_lib'),
    nodeModulesDir: path.basename(parent) === 'node_modules' ? parent : undefined,
  };
}

class PortInUseError extends Error {}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: NodeJS.ErrnoException;
}

async function launch(emulator: EmulatorFiles, launcher: CompiledLauncher | undefined, port: number, steadyState: boolean): Promise<LocalDynamoDb> {
  const mainArgs = launcher
    ? ['-cp', [launcher.classDir, emulator.jar].join(path.delimiter), LAUNCHER_CLASS]
    : ['-jar', emulator.jar];
  const jvmFlags = steadyState ? JVM_FLAGS.filter((flag) => flag !== '-XX:TieredStopAtLevel=1') : JVM_FLAGS;
  const args = [...jvmFlags, `-Djava.library.path=${emulator.libDir}`, ...mainArgs, ...EMULATOR_FLAGS, '-port', String(port)];
  // stdin stays a pipe on purpose: the launcher halts the JVM when it closes (see dynamodb-local-launcher.ts).
  const child = spawn('java', args, { cwd: emulator.dir, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  trackChild(child);

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.stdin?.on('error', () => undefined); // EPIPE once the JVM is gone is expected, not a crash

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve((exitInfo = { code, signal })));
    child.once('error', (error: NodeJS.ErrnoException) => resolve((exitInfo = { code: null, signal: null, error })));
  });
  void exited.then(() => untrackChild(child));

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, () => exitInfo, () => output, port, launcher !== undefined);
  } catch (error) {
    await terminate(child, exited);
    throw error;
  }
  if (output.includes(BIND_WARNING_MARKER)) {
    warnOnce(output.slice(output.indexOf(BIND_WARNING_MARKER)).split('\n')[0] ?? BIND_WARNING_MARKER);
  }
  // Do not keep the event loop alive for the JVM: a script that forgets stop() still exits, and the
  // exit handler then kills the JVM. stop() re-references the child while it waits.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as net.Socket | null)?.unref();

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    stop: () =>
      (stopping ??= (async () => {
        child.ref();
        await terminate(child, exited);
        await launcher?.dispose();
      })()),
  };
}

async function waitUntilReady(
  endpoint: string,
  exitInfo: () => ExitInfo | undefined,
  output: () => string,
  port: number,
  announcesListening: boolean,
): Promise<void> {
  const client = new DynamoDBClient({
    ...localClientConfig(endpoint),
    maxAttempts: 1, // we poll ourselves; SDK retries would only stretch each probe with back-off
    requestHandler: { connectionTimeout: 1_000, requestTimeout: MAX_PROBE_TIMEOUT_MS },
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let probeTimeoutMs = PROBE_TIMEOUT_MS;
  try {
    for (;;) {
      const exit = exitInfo();
      if (exit) throw startFailure(exit, output(), port);
      // The stock launcher does not exit when its bind fails, so the message is the only signal.
      if (BIND_FAILURE.test(output())) {
        throw new PortInUseError(`DynamoDB Local could not listen on port ${port}: it is already in use.${tail(output())}`);
      }
      // With our launcher, probe only after it reports its own bind: until then a success could come
      // from whatever else listens on the port.
      if (!announcesListening || output().includes(LISTENING_MARKER)) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(probeTimeoutMs) });
          return;
        } catch {
          probeTimeoutMs = Math.min(probeTimeoutMs * 2, MAX_PROBE_TIMEOUT_MS);
          // not answering yet (the first request warms up the JVM and takes ~0.4 s)
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${STARTUP_TIMEOUT_MS / 1000} s.${tail(output())}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  } finally {
    client.destroy();
  }
}

const BIND_FAILURE = /BindException|Address already in use/;

function startFailure(exit: ExitInfo, output: string, port: number): Error {
  if (exit.error?.code === 'ENOENT') {
    return new Error(
      'DynamoDB Local needs Java, but `java` was not found on PATH. Install a Java 17 runtime ' +
        '(a JDK, e.g. `apt-get install openjdk-17-jdk-headless`, `brew install openjdk@17`, or actions/setup-java in CI) and retry.',
    );
  }
  if (exit.error) return new Error(`Could not start java for DynamoDB Local: ${exit.error.message}`);
  if (BIND_FAILURE.test(output)) {
    return new PortInUseError(`DynamoDB Local could not listen on port ${port}: it is already in use.${tail(output)}`);
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return new Error(`DynamoDB Local ${how} before it was ready.${tail(output)}`);
}

function tail(output: string): string {
  const text = output.trim();
  return text ? `\n--- last output of java ---\n${text.split('\n').slice(-25).join('\n')}` : ' (java printed nothing)';
}

/**
 * Kills the JVM and resolves once it has exited. SIGKILL straight away: the database is in memory and
 * thrown away anyway, and a graceful JVM shutdown (SIGTERM or the launcher's halt) costs ~330 ms here
 * against ~15 ms, on every test file.
 */
async function terminate(child: ChildProcess, exited: Promise<ExitInfo>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
  await exited;
}

/** Asks the OS for a free loopback port. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Children still running when Node exits are killed synchronously from the `exit` handler (the only
// kind of work allowed there). One handler for all instances avoids MaxListenersExceeded warnings.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const running of liveChildren) running.kill('SIGKILL');
    });
  }
}

function untrackChild(child: ChildProcess): void {
  liveChildren.delete(child);
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'GENAI_FINOPS_DYNAMODB_LOCAL' });
}
