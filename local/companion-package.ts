/**
 * The entry of the companion package `genai-finops-local` (packages/local): the commands of the `genai-finops` CLI
 * that run the local emulators — `demo` and `local invoke` — with the Bedrock simulator, DynamoDB Local's launcher,
 * the local S3 and the demo compiled in. scripts/build-local-package.mjs bundles this file into
 * packages/local/dist/index.js.
 *
 * The published CLI (genai-finops-constructs) loads it from the app's node_modules when one of those commands runs.
 * It hands over where its own handler bundles are, so that the emulators always run the handlers of the package the
 * user deploys, and it stops what the commands started through {@link LocalCommands.stop}, since this bundle has its
 * own copy of the CLI's shutdown list.
 */
import { demoCommand } from '../bin/cli/demo';
import { localCommand } from '../bin/cli/local-invoke';
import { runShutdownTasks } from '../bin/cli/shutdown';
import { useInstalledHandlerBundles } from './demo/handler-bundle';

/** A command's signature: arguments after the command name, stdout and stderr writers; resolves to the exit code. */
export type LocalCommand = (argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void) => Promise<number>;

/** What the companion package gives the CLI. */
export interface LocalCommands {
  /** `genai-finops demo ...` */
  readonly demoCommand: LocalCommand;
  /** `genai-finops local ...` */
  readonly localCommand: LocalCommand;
  /** Stops every local service the commands started (DynamoDB Local's JVM, the simulator, the S3 server). */
  stop(): Promise<void>;
}

/** Options of {@link createLocalCommands}. */
export interface LocalCommandsOptions {
  /** The installed genai-finops-constructs' `assets/handlers` folder: the bundles the commands run. */
  readonly handlersDir: string;
}

/** The local commands, running the handler bundles in `options.handlersDir`. */
export function createLocalCommands(options: LocalCommandsOptions): LocalCommands {
  useInstalledHandlerBundles(options.handlersDir);
  return { demoCommand, localCommand, stop: runShutdownTasks };
}
