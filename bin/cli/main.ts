/**
 * The `genai-finops` command line: dispatches to a command, turns usage mistakes into exit code 2 with a message
 * (never a stack trace), and stops every local service before exiting, whatever happened.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args';
import { ASSESS_HELP, BREAKER_HELP, BREAKER_RESET_HELP, DEMO_HELP, ESTIMATE_HELP, LOCAL_HELP, LOCAL_INVOKE_HELP, MAIN_HELP } from './help';
import { installSignalHandlers, interruptedSignal, runShutdownTasks } from './shutdown';

const PROGRAM = 'genai-finops';

/** Writes to stdout and resolves once the text is handed to the OS. */
function out(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

/** A diagnostic line on stderr. */
function log(line: string): void {
  process.stderr.write(`${PROGRAM}: ${line}\n`);
}

const HELP: Readonly<Record<string, string>> = {
  demo: DEMO_HELP,
  estimate: ESTIMATE_HELP,
  local: LOCAL_HELP,
  'local invoke': LOCAL_INVOKE_HELP,
  assess: ASSESS_HELP,
  breaker: BREAKER_HELP,
  'breaker reset': BREAKER_RESET_HELP,
};

async function dispatch(argv: ReadonlyArray<string>): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(MAIN_HELP);
      return 2;
    case '-h':
    case '--help':
      await out(MAIN_HELP);
      return 0;
    case '--version': {
      const { version } = require(path.join(packageRoot(), 'package.json')) as { version: string };
      await out(`${version}\n`);
      return 0;
    }
    case 'help': {
      const topic = rest.join(' ');
      if (topic === '') {
        await out(MAIN_HELP);
        return 0;
      }
      if (!HELP[topic]) throw new UsageError(`no help for '${topic}': commands are demo, estimate, local invoke, assess, breaker reset`);
      await out(HELP[topic]);
      return 0;
    }
    // Commands are loaded on use: they pull in the AWS SDK and the local services, which `--help` does not need.
    case 'demo':
      return (localOnly('demo', () => require('./demo')) as typeof import('./demo')).demoCommand(rest, out, log);
    case 'estimate':
      return (require('./estimate') as typeof import('./estimate')).estimateCommand(rest, out, log);
    case 'local':
      return (localOnly('local invoke', () => require('./local-invoke')) as typeof import('./local-invoke')).localCommand(rest, out, log);
    case 'assess':
      return (require('./assess') as typeof import('./assess')).assessCommand(rest, out, log);
    case 'breaker':
      return (localOnly('breaker reset', () => require('./breaker-command')) as typeof import('./breaker-command')).breakerCommand(rest, out, log);
    default:
      if (command.startsWith('-')) throw new UsageError(`unknown option '${command}'`);
      throw new UsageError(`unknown command '${command}': commands are demo, estimate, local invoke, assess, breaker reset`);
  }
}

/** The package's folder: two levels up from the sources (bin/cli), three from the compiled CLI (dist/bin/cli). */
function packageRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'genai-finops.js'))) return dir;
  }
  return path.resolve(__dirname, '..', '..');
}

/**
 * Loads a command that needs the local emulators (the Bedrock simulator, DynamoDB Local) or the AWS SDK: they come
 * with a clone of the repository, not with the published package, which ships `estimate`, `assess` and the help.
 */
function localOnly(command: string, load: () => unknown): unknown {
  try {
    return load();
  } catch (error) {
    if ((error as { code?: string })?.code !== 'MODULE_NOT_FOUND') throw error;
    throw new LocalOnlyError(`'${command}' runs the local emulators and the AWS SDK, which the installed package does not ship. `
      + 'Run it from a clone of the genai-finops-constructs repository: `npm ci`, then `npx genai-finops ' + command + '`.');
  }
}

/** A command that is not available from the installed package (exit 1, with the way to run it). */
class LocalOnlyError extends Error {}

/** Runs the CLI with `argv` (without node and the script) and exits with its code. */
export async function run(argv: ReadonlyArray<string>): Promise<never> {
  // The AWS SDK warns once per bundled copy that Node 20 support ends in 2027; in a demo that is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  installSignalHandlers();
  let code: number;
  try {
    code = await dispatch(argv);
  } catch (error) {
    code = report(error);
  }
  await runShutdownTasks();
  if (interruptedSignal()) await new Promise(() => undefined); // the signal handler exits once services are stopped
  process.exit(code);
}

function report(error: unknown): number {
  if (interruptedSignal()) return 130;
  if (error instanceof UsageError) {
    const help = error.command ? `${PROGRAM} ${error.command} --help` : `${PROGRAM} --help`;
    process.stderr.write(`${PROGRAM}: ${error.message}\nRun '${help}' for usage.\n`);
    return 2;
  }
  const message = (error as Error)?.message ?? String(error);
  process.stderr.write(`${PROGRAM}: error: ${message}\n`);
  if (process.env.GENAI_FINOPS_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return 1;
}
