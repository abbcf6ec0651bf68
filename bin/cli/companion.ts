/**
 * Finding the companion package `genai-finops-local` from the installed CLI. The published genai-finops-constructs
 * ships `estimate`, `assess`, `breaker reset` and the help, compiled and without the emulators: DynamoDB Local alone
 * is 65 MB, and a CDK app that only synthesizes should not download it. `demo` and `local invoke` load the emulators
 * from the companion package when the app installed it, and say how to install it when not.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { LocalCommands, LocalCommandsOptions } from '../../local/companion-package';

/** The companion package's name on npm. */
export const COMPANION_PACKAGE = 'genai-finops-local';

/** A package a command needs is not installed, or is from another release (exit 1, the message names the install command). */
export class MissingPackageError extends Error {}

/** An installed companion package. */
export interface CompanionPackage {
  /** Its folder. */
  readonly dir: string;
  /** Its version, from its package.json. */
  readonly version: string;
  /** Its entry module (package.json `main`). */
  readonly entry: string;
}

/** The command that installs the companion package matching this CLI's release. */
export function companionInstallCommand(version: string): string {
  return `npm install --save-dev ${COMPANION_PACKAGE}@${version}`;
}

/**
 * The companion package as Node resolves it from the first of `searchFrom` that has it (the user's project first,
 * then the CLI's own package, so that a global or npx install finds its sibling too); it must be `version`, the CLI's.
 *
 * @param command - the command that needs it, for the messages (e.g. `demo`)
 */
export function findCompanionPackage(searchFrom: ReadonlyArray<string>, version: string, command: string): CompanionPackage {
  let manifest: string;
  try {
    manifest = require.resolve(`${COMPANION_PACKAGE}/package.json`, { paths: [...searchFrom] });
  } catch {
    throw new MissingPackageError(`'${command}' runs the local emulators (a Bedrock simulator, DynamoDB Local, an in-memory S3), which come in `
      + `the companion package ${COMPANION_PACKAGE}. Install it beside genai-finops-constructs: \`${companionInstallCommand(version)}\` `
      + `(DynamoDB Local needs Java 17), then run \`npx genai-finops ${command}\` again.`);
  }
  const dir = path.dirname(manifest);
  const { version: installed, main } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string; main?: string };
  if (installed !== version) {
    throw new MissingPackageError(`${COMPANION_PACKAGE} ${installed ?? '(no version)'} is installed, but genai-finops-constructs is ${version}: `
      + `the emulators and the handler bundles must come from the same release. Install the matching one: \`${companionInstallCommand(version)}\`.`);
  }
  const entry = path.join(dir, main ?? 'index.js');
  if (!existsSync(entry)) {
    throw new MissingPackageError(`${COMPANION_PACKAGE} ${installed} at ${dir} has no ${path.relative(dir, entry)}: reinstall it with \`${companionInstallCommand(version)}\`.`);
  }
  return { dir, version: installed, entry };
}

/** Loads the companion package's commands, running the handler bundles of the CLI's package (`packageRoot`). */
export function loadCompanionCommands(companion: CompanionPackage, packageRoot: string): LocalCommands {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(companion.entry) as { createLocalCommands?: (options: LocalCommandsOptions) => LocalCommands };
  if (typeof module.createLocalCommands !== 'function') {
    throw new MissingPackageError(`${companion.entry} is not the ${COMPANION_PACKAGE} entry (it exports no createLocalCommands): reinstall it.`);
  }
  return module.createLocalCommands({ handlersDir: path.join(packageRoot, 'assets', 'handlers') });
}
