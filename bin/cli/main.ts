/**
 * The `genai-finops` command line: dispatches to a command, turns usage mistakes into exit code 2 with a message
 * (never a stack trace), and stops every local service before exiting, whatever happened.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { subcommandArgs, UsageError } from '../../shared/cli/args';
import { ASSESS_HELP, BREAKER_HELP, BREAKER_RESET_HELP, ESTIMATE_HELP, INIT_HELP, MAIN_HELP, RECONCILE_HELP, STATEMENT_HELP } from './help';
import type { LocalCommands } from '../../packages/local/src/index';
import { CliInstall, findCompanionPackage, globalModulesOf, loadCompanionCommands, MissingPackageError } from './companion';
import { installSignalHandlers, interruptedSignal, onShutdown, runShutdownTasks } from './shutdown';

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
  'estimate': ESTIMATE_HELP,
  'assess': ASSESS_HELP,
  'breaker': BREAKER_HELP,
  'breaker reset': BREAKER_RESET_HELP,
  'statement': STATEMENT_HELP,
  'reconcile': RECONCILE_HELP,
  'init': INIT_HELP,
};

/** The help topics of the companion package's commands: it prints them when installed. */
const COMPANION_HELP: Readonly<Record<string, string>> = { 'demo': 'demo', 'local': 'local invoke', 'local invoke': 'local invoke' };

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
      await out(`${packageVersion()}\n`);
      return 0;
    }
    case 'help': {
      const topic = rest.join(' ');
      if (topic === '') {
        await out(MAIN_HELP);
        return 0;
      }
      if (!HELP[topic] && !COMPANION_HELP[topic]) throw new UsageError(`no help for '${topic}': commands are demo, estimate, local invoke, assess, breaker reset, reconcile, statement, init`);
      return printHelp(topic);
    }
    // Commands are loaded on use: they pull in the AWS SDK and the local services, which `--help` does not need.
    case 'demo':
      return helpBeforeLoading(command, rest) ?? localCommands('demo').demoCommand(rest, out, log);
    case 'estimate':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./estimate') as typeof import('./estimate')).estimateCommand(rest, out, log);
    case 'local':
      return helpBeforeLoading(command, rest, 'invoke') ?? localCommands('local invoke').localCommand(rest, out, log);
    case 'assess':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./assess') as typeof import('./assess')).assessCommand(rest, out, log);
    case 'breaker':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return helpBeforeLoading(command, rest, 'reset') ?? (require('./breaker-command') as typeof import('./breaker-command')).breakerCommand(rest, out, log);
    case 'reconcile':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./reconcile') as typeof import('./reconcile')).reconcileCommand(rest, out, log);
    case 'statement':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./statement') as typeof import('./statement')).statementCommand(rest, out, log);
    case 'init':
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./init') as typeof import('./init')).initCommand(rest, out, log, { packageRoot: packageRoot() });
    default:
      if (command.startsWith('-')) throw new UsageError(`unknown option '${command}'`);
      throw new UsageError(`unknown command '${command}': commands are demo, estimate, local invoke, assess, breaker reset, reconcile, statement, init`);
  }
}

/** The package's folder: the one above the CLI's bundle (dist/cli/main.js) that holds bin/genai-finops.js. */
function packageRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'genai-finops.js'))) return dir;
  }
  return path.resolve(__dirname, '..', '..');
}

/**
 * `demo` and `local invoke`: from the companion package `genai-finops-local`, resolved from this package (a clone's
 * workspace link, or the install beside it), running this package's constructs and handler bundles; what they start
 * is stopped by this CLI's shutdown tasks.
 */
function localCommands(command: string): LocalCommands {
  const root = packageRoot();
  return loadCompanionCommands(findCompanionPackage(cliInstall(), command), { packageRoot: root, onShutdown });
}

/**
 * A help topic: the CLI's own, or a companion command's from the companion package. Without the companion, the
 * help says that the command comes with it and how to install it.
 */
async function printHelp(topic: string): Promise<number> {
  if (HELP[topic]) {
    await out(HELP[topic]);
    return 0;
  }
  const command = COMPANION_HELP[topic];
  let help: string;
  try {
    help = localCommands(command).help[topic as keyof LocalCommands['help']];
  } catch (error) {
    if (!(error instanceof MissingPackageError)) throw error;
    help = `Usage: genai-finops ${command} [options]\n\n${error.message}\nThen 'genai-finops ${topic} --help' shows its options.\n`;
  }
  await out(help);
  return 0;
}

/**
 * A command's help, and mistakes in its subcommand, before the command is loaded: they work, and a missing or
 * unknown subcommand exits 2, before the companion package is installed. (Its options are the command's own to check.)
 */
function helpBeforeLoading(command: string, rest: ReadonlyArray<string>, subcommand?: string): Promise<number> | undefined {
  const args = subcommand ? subcommandArgs(rest, command, subcommand) : rest;
  const topic = args === 'help' ? command : args.some((arg) => arg === '-h' || arg === '--help') ? [command, subcommand].filter(Boolean).join(' ') : undefined;
  return topic === undefined ? undefined : printHelp(topic);
}

function cliInstall(): CliInstall {
  return {
    root: packageRoot(),
    version: packageVersion(),
    cwd: process.cwd(),
    globalModules: globalModulesOf(process.execPath, process.env.npm_config_prefix, process.platform),
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

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
  if (error instanceof MissingPackageError) {
    process.stderr.write(`${PROGRAM}: ${error.message}\n`);
    return 1;
  }
  if (UsageError.is(error)) {
    const help = error.command ? `${PROGRAM} ${error.command} --help` : `${PROGRAM} --help`;
    process.stderr.write(`${PROGRAM}: ${error.message}\nRun '${help}' for usage.\n`);
    return 2;
  }
  const message = (error as Error)?.message ?? String(error);
  process.stderr.write(`${PROGRAM}: error: ${message}\n`);
  if (process.env.GENAI_FINOPS_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return 1;
}
