/**
 * `genai-finops init [dir]`: scaffolds a CDK app wired with the library, as `cdk init` does, into an empty or new
 * folder. It writes files only; `npm install` runs when asked (`--install`), so a scaffold works offline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, UsageError } from '../../shared/cli/args';
import { INIT_HELP } from './help';
import { scaffoldFiles, ScaffoldSettings } from './init-template';

const LIBRARY = 'genai-finops-constructs';

/** The parts of the library's package.json the scaffold takes its versions from. */
interface LibraryManifest {
  readonly name: string;
  readonly version: string;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

export interface InitContext {
  /** The library's package folder (its package.json gives the version ranges). */
  readonly packageRoot: string;
  /** Runs `npm install` in a folder; returns its exit code. */
  readonly npmInstall?: (dir: string) => number;
}

export async function initCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void, context: InitContext): Promise<number> {
  const { options, positionals } = parseArgs(argv, { from: 'string', install: 'boolean' }, 'init');
  if (options.help) {
    await out(INIT_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}': init takes one folder`, 'init');
  const dir = path.resolve(positionals[0] ?? '.');
  checkTargetFolder(dir);
  const manifest = JSON.parse(readFileSync(path.join(context.packageRoot, 'package.json'), 'utf8')) as LibraryManifest;
  const settings = scaffoldSettings(dir, manifest, options.from as string | undefined);

  const files = scaffoldFiles(settings);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  log(`wrote ${Object.keys(files).join(', ')} in ${dir}`);

  const relative = path.relative(process.cwd(), dir);
  // A sibling reads best as ../name; a folder further away as its absolute path.
  const cd = relative === '' ? '.' : relative.split(path.sep).filter((part) => part === '..').length > 1 ? dir : relative;
  if (options.install) {
    const code = (context.npmInstall ?? runNpmInstall)(dir);
    if (code !== 0) {
      log(`npm install failed (exit ${code}); the files are in place: fix the cause, then run it again in ${cd}`);
      return 1;
    }
  }
  const steps = [cd === '.' ? undefined : `cd ${cd}`, options.install ? undefined : 'npm install', 'npx cdk synth', 'npx cdk bootstrap   # once per account and Region', 'npx cdk deploy'];
  await out(`Created the CDK app ${settings.appName} (stack ${settings.stackName}) in ${dir}.\nNext:\n${steps.filter(Boolean).map((s) => `  ${s}`).join('\n')}\n`);
  return 0;
}

/** `cdk init`'s rule: the folder may be new or empty, never hold files a scaffold would mix with. */
function checkTargetFolder(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`'${dir}' is a file, not a folder. Fix: name a new or empty folder`, 'init');
  const entries = readdirSync(dir).filter((e) => e !== '.git');
  if (entries.length > 0) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', ...' : '');
    throw new UsageError(`'${dir}' is not empty (${shown}). Fix: name a new or empty folder, e.g. genai-finops init my-genai-app`, 'init');
  }
}

function scaffoldSettings(dir: string, manifest: LibraryManifest, from: string | undefined): ScaffoldSettings {
  const appName = npmName(path.basename(dir));
  const dev = manifest.devDependencies ?? {};
  const peer = manifest.peerDependencies ?? {};
  return {
    appName,
    stackName: stackName(appName),
    librarySpec: from === undefined ? `^${manifest.version}` : tarballSpec(dir, from, manifest.version),
    versions: {
      // The ranges the library is built and tested with, not only its peer minimum.
      awsCdkLib: dev['aws-cdk-lib'] ?? peer['aws-cdk-lib'] ?? '^2',
      constructs: dev.constructs ?? peer.constructs ?? '^10',
      awsCdk: dev['aws-cdk'] ?? '^2',
      tsx: dev.tsx ?? '^4',
      typescript: '~5.9',
      typesNode: dev['@types/node'] ?? '^20',
    },
  };
}

/**
 * `file:` a packed tarball, relative to the new app (npm resolves it from the app's package.json). A clone's folder
 * is accepted when its packed tarball is in it: linking the folder itself would load the clone's own aws-cdk-lib
 * beside the app's.
 */
function tarballSpec(dir: string, from: string, version: string): string {
  const source = path.resolve(from);
  if (!existsSync(source)) throw new UsageError(`--from '${from}' does not exist (looked for at ${source}). Fix: pack the library in a clone (npm pack) and pass the .tgz it writes`, 'init');
  let tarball = source;
  if (statSync(source).isDirectory()) {
    const manifest = path.join(source, 'package.json');
    const name = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name : undefined;
    if (name !== LIBRARY) throw new UsageError(`--from '${from}' is not a clone of ${LIBRARY} (its package.json names ${name ?? 'nothing'}). Fix: pass the clone's folder or the .tgz npm pack wrote`, 'init');
    tarball = path.join(source, `${LIBRARY}-${version}.tgz`);
    if (!existsSync(tarball)) throw new UsageError(`--from '${from}' has no ${path.basename(tarball)}. Fix: run npm ci && npm pack in ${source}, then init again`, 'init');
  } else if (!source.endsWith('.tgz')) {
    throw new UsageError(`--from '${from}' is not a .tgz. Fix: pass the tarball npm pack wrote, or the clone's folder`, 'init');
  }
  return `file:${path.relative(dir, tarball).split(path.sep).join('/')}`;
}

/** An npm package name from a folder name: lower case, letters, digits and hyphens. */
function npmName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return /^[a-z]/.test(name) ? name : `genai-app${name ? `-${name}` : ''}`;
}

/** A CloudFormation stack name (letters, digits, hyphens; a letter first): the app's name in PascalCase. */
function stackName(appName: string): string {
  return appName.split('-').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

function runNpmInstall(dir: string): number {
  // npm's progress goes to stderr, so stdout keeps only the command's own result.
  const result = spawnSync('npm', ['install'], { cwd: dir, stdio: ['ignore', process.stderr, process.stderr], shell: process.platform === 'win32' });
  return result.status ?? 1;
}
