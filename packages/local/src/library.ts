/**
 * The constructs library the demo and `local invoke` synthesize. The companion bundle does not carry the constructs:
 * scripts/build.mjs turns every import of the library's index into {@link constructsLibrary}, the
 * genai-finops-constructs package whose CLI runs the command (it hands its folder over to `createLocalCommands`).
 * The emulators then synthesize the constructs and run the handler bundles of one release, in a clone as in an
 * install. (Run from the sources, by the tests, the imports are the sources and this module is not used.)
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let libraryDir: string | undefined;

/** Synthesizes with the genai-finops-constructs package in `dir` from now on. */
export function useConstructsLibrary(dir: string): void {
  libraryDir = dir;
}

/** The library's exports, loaded on first use (aws-cdk-lib with them: a few seconds that `--help` does not pay). */
export function constructsLibrary(): unknown {
  if (libraryDir === undefined) throw new Error('the constructs library is not known: load the local commands with createLocalCommands({ libraryDir, ... }).');
  const { main = 'index.js' } = JSON.parse(readFileSync(path.join(libraryDir, 'package.json'), 'utf8')) as { main?: string };
  const entry = path.join(libraryDir, main);
  if (!existsSync(entry)) {
    throw new Error(`the constructs of genai-finops-constructs at ${libraryDir} are not built (no ${main}): in a clone of the repository run \`npm run build\`; else reinstall the package.`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(entry);
}
