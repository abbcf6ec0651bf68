/**
 * Finding the companion package `genai-finops-local` from the CLI. genai-finops-constructs ships `estimate`, `assess`,
 * `breaker reset`, `reconcile`, `statement` and the help, without the emulators: DynamoDB Local alone is 65 MB, and
 * a CDK app that only synthesizes should not download it. `demo` and `local invoke` load the emulators from the
 * companion package, resolved from the CLI's own package as Node resolves any dependency (in a clone, npm's
 * workspaces link node_modules/genai-finops-local to packages/local), and say how to install it when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { LocalCommands, LocalCommandsOptions } from '../../packages/local/src/index';

/** The companion package's name on npm. */
export const COMPANION_PACKAGE = 'genai-finops-local';

/** The library package's name on npm: the CLI's own. */
const LIBRARY_PACKAGE = 'genai-finops-constructs';

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

/** Where the CLI runs from, which decides how a missing package is installed so that the CLI finds it. */
export interface CliInstall {
  /** The CLI's package folder (genai-finops-constructs). */
  readonly root: string;
  /** Its version. */
  readonly version: string;
  /** The folder the command runs in. */
  readonly cwd: string;
  /** npm's global `node_modules` folder (`npm root -g`), when known. */
  readonly globalModules?: string;
}

/** Where the CLI is installed: in a project's node_modules, in npm's global folder, in npx's cache, or elsewhere. */
export type CliLocation =
  | { readonly kind: 'project'; readonly project: string; readonly cwdInside: boolean }
  | { readonly kind: 'global' }
  | { readonly kind: 'npx' }
  | { readonly kind: 'other' };

const inside = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
};

/**
 * Where the CLI at `install.root` is installed. A project is the folder above the first `node_modules` of the path
 * (pnpm nests `.pnpm/<name>@<version>/node_modules/` below it).
 */
export function cliLocation(install: CliInstall): CliLocation {
  const root = path.resolve(install.root);
  if (root.split(path.sep).includes('_npx')) return { kind: 'npx' };
  if (install.globalModules && inside(path.resolve(install.globalModules), root)) return { kind: 'global' };
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = root.indexOf(marker);
  if (at < 0) return { kind: 'other' };
  // A project at a drive's root: `C:` alone means that drive's current folder, so keep the separator.
  const project = at === 0 || /^[A-Za-z]:$/.test(root.slice(0, at)) ? root.slice(0, at + 1) : root.slice(0, at);
  return { kind: 'project', project, cwdInside: inside(project, path.resolve(install.cwd)) };
}

/** npm's global `node_modules` as npm lays it out for this Node: `<prefix>/lib/node_modules`, or `<prefix>\node_modules` on Windows. */
export function globalModulesOf(execPath: string, prefix: string | undefined, platform: NodeJS.Platform): string {
  const base = prefix ?? (platform === 'win32' ? path.dirname(execPath) : path.dirname(path.dirname(execPath)));
  return platform === 'win32' ? path.join(base, 'node_modules') : path.join(base, 'lib', 'node_modules');
}

/** How to install `packages` so that this CLI finds them, then run `command` again. */
export function installAdvice(install: CliInstall, packages: ReadonlyArray<string>, command: string): string {
  const names = packages.join(' ');
  const withCli = `\`npx ${[`${LIBRARY_PACKAGE}@${install.version}`, ...packages].map((p) => `-p ${p}`).join(' ')} genai-finops ${command}\``;
  const location = cliLocation(install);
  switch (location.kind) {
    case 'project':
      return location.cwdInside
        ? `\`npm install --save-dev ${names}\`, then run \`npx genai-finops ${command}\` again`
        : `\`npm install --save-dev --prefix ${location.project} ${names}\` (the project this CLI is installed in), then run the command again`;
    case 'global':
      return `\`npm install --global ${names}\` beside this CLI, or run both with npx: ${withCli}`;
    default:
      return `run both with npx: ${withCli}`;
  }
}

/**
 * The companion package of the CLI's release, as Node resolves it from the CLI's package: from there Node reaches the
 * app's node_modules, the global folder beside a global CLI, npx's folder beside an npx CLI, and a clone's workspace
 * link. A copy of another release is refused, since the emulators run this release's handler bundles.
 *
 * @param command - the command that needs it, for the messages (e.g. `demo`)
 */
export function findCompanionPackage(install: CliInstall, command: string): CompanionPackage {
  const advice = installAdvice(install, [`${COMPANION_PACKAGE}@${install.version}`], command);
  let manifest: string;
  try {
    manifest = require.resolve(`${COMPANION_PACKAGE}/package.json`, { paths: [install.root] });
  } catch {
    throw new MissingPackageError(`'${command}' runs the local emulators (a Bedrock simulator, DynamoDB Local, an in-memory S3), which come in the `
      + `companion package ${COMPANION_PACKAGE} (DynamoDB Local needs Java 17). Install it: ${advice}. ${notOnRegistryYet(install.version)}`);
  }
  const dir = path.dirname(manifest);
  const { version, main } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string; main?: string };
  if (version !== install.version) {
    throw new MissingPackageError(`${COMPANION_PACKAGE} ${version ?? '(no version)'} is installed at ${dir}, but ${LIBRARY_PACKAGE} is `
      + `${install.version}: the emulators and the handler bundles must come from the same release. Install the matching one: ${advice}.`);
  }
  const entry = path.join(dir, main ?? 'index.js');
  if (!existsSync(entry)) {
    throw new MissingPackageError(`${COMPANION_PACKAGE} ${version} at ${dir} has no ${path.relative(dir, entry)}: in a clone of the repository run `
      + `\`npm run build\`; else reinstall it: ${advice}.`);
  }
  return { dir, version, entry };
}

/**
 * Until the first release is published, the registry answers E404 for the companion: say so, and how to build the
 * same package from a clone of the repository. Drop this once `genai-finops-local` is on npm.
 */
function notOnRegistryYet(version: string): string {
  return `${COMPANION_PACKAGE} is not on the npm registry yet: in a clone of the repository run \`npm ci && npm pack -w packages/local\`, `
    + `then install the tarball it writes in place of the package name (e.g. \`npm install --save-dev <clone>/${COMPANION_PACKAGE}-${version}.tgz\`).`;
}

/** What the CLI hands the companion's commands. */
export interface CompanionHost {
  /** The CLI's package folder (genai-finops-constructs): its constructs and its handler bundles are what the commands run. */
  readonly packageRoot: string;
  /** The CLI's shutdown hook: what the commands start is stopped when the CLI ends, however it ends. */
  readonly onShutdown: LocalCommandsOptions['onShutdown'];
}

/** Loads the companion package's commands, running the constructs and handler bundles of the CLI's package. */
export function loadCompanionCommands(companion: CompanionPackage, host: CompanionHost): LocalCommands {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(companion.entry) as { createLocalCommands?: (options: LocalCommandsOptions) => LocalCommands };
  if (typeof module.createLocalCommands !== 'function') {
    throw new MissingPackageError(`${companion.entry} is not the ${COMPANION_PACKAGE} entry (it exports no createLocalCommands): reinstall it.`);
  }
  return module.createLocalCommands({
    handlersDir: path.join(host.packageRoot, 'assets', 'handlers'),
    libraryDir: host.packageRoot,
    onShutdown: host.onShutdown,
  });
}
