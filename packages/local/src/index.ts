/**
 * The entry of the companion package `genai-finops-local` (packages/local): the commands of the `genai-finops` CLI
 * that run the local emulators — `demo` and `local invoke` — with the Bedrock simulator, DynamoDB Local's launcher,
 * the local S3, the demo and their help. scripts/build.mjs bundles this file into packages/local/dist/index.js.
 *
 * The CLI (genai-finops-constructs) resolves this package from its own and loads it when one of those commands runs
 * (in a clone as in an install). It hands over what the commands need from it: its package folder, so that the
 * emulators synthesize its constructs and run its handler bundles (the code the user deploys), and its shutdown hook,
 * so that what the commands start is stopped when the CLI ends, Ctrl-C included. Nothing here imports the CLI.
 */
import { demoCommand } from './commands/demo';
import { DEMO_HELP, LOCAL_HELP, LOCAL_INVOKE_HELP } from './commands/help';
import { localCommand } from './commands/local-invoke';
import { useHandlerBundles } from './demo/handler-bundle';
import { useConstructsLibrary } from './library';

/** A command's signature: arguments after the command name, stdout and stderr writers; resolves to the exit code. */
export type LocalCommand = (argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void) => Promise<number>;

/** A clean-up task: what a command started, to stop. */
export type ShutdownTask = () => Promise<void> | void;

/** What the companion package gives the CLI. */
export interface LocalCommands {
  /** `genai-finops demo ...` */
  readonly demoCommand: LocalCommand;
  /** `genai-finops local ...` */
  readonly localCommand: LocalCommand;
  /** The help of `demo`, `local` and `local invoke`, by topic. */
  readonly help: Readonly<Record<'demo' | 'local' | 'local invoke', string>>;
}

/** Options of {@link createLocalCommands}: what the CLI hands over. */
export interface LocalCommandsOptions {
  /** The CLI's genai-finops-constructs package folder: the constructs the demo and `local invoke` synthesize. */
  readonly libraryDir: string;
  /** Its `assets/handlers` folder: the bundles the commands run. */
  readonly handlersDir: string;
  /** Registers a task the CLI runs when it ends, however it ends (last registered, first run). */
  readonly onShutdown: (task: ShutdownTask) => void;
}

/** The local commands, running the constructs and handler bundles of the CLI's package. */
export function createLocalCommands(options: LocalCommandsOptions): LocalCommands {
  useConstructsLibrary(options.libraryDir);
  useHandlerBundles(options.handlersDir);
  const { onShutdown } = options;
  return {
    demoCommand: (argv, out, log) => demoCommand(argv, { out, log, onShutdown }),
    localCommand: (argv, out, log) => localCommand(argv, { out, log, onShutdown }),
    help: { 'demo': DEMO_HELP, 'local': LOCAL_HELP, 'local invoke': LOCAL_INVOKE_HELP },
  };
}
