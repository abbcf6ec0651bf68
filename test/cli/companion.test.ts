import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CliInstall, cliLocation, COMPANION_PACKAGE, findCompanionPackage, globalModulesOf, installAdvice, loadCompanionCommands, MissingPackageError,
} from '../../bin/cli/companion';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** An app folder with `node_modules/genai-finops-local` holding `files` (package.json given as an object). */
function appWith(manifest: Record<string, unknown> | undefined, files: Record<string, string> = {}): string {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-companion-'));
  made.push(app);
  if (manifest) {
    const dir = path.join(app, 'node_modules', COMPANION_PACKAGE);
    fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: COMPANION_PACKAGE, ...manifest }));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  }
  return app;
}

const ENTRY = 'exports.createLocalCommands = (options) => ({ ...options });';

/** A CLI installed in `app` (as `npx genai-finops` in that project runs it) at `version`. */
const projectCli = (app: string, version = '1.2.3'): CliInstall => ({ root: path.join(app, 'node_modules', 'genai-finops-constructs'), version, cwd: app });

describe('finding the companion package genai-finops-local', () => {
  test('finds it where Node resolves it from the CLI\'s package: the app the CLI is installed in', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });

    const found = findCompanionPackage(projectCli(app), 'demo');

    expect(found).toEqual({ dir: path.join(fs.realpathSync(app), 'node_modules', COMPANION_PACKAGE), version: '1.2.3', entry: expect.stringMatching(/dist[/\\]index\.js$/) });
  });

  test('does not look in the folder the command runs in: a copy there is not the CLI\'s', () => {
    const cliApp = appWith(undefined);
    const elsewhere = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });

    expect(() => findCompanionPackage({ ...projectCli(cliApp), cwd: elsewhere }, 'demo')).toThrow(MissingPackageError);
  });

  test('when it is not installed, names the command and the install command of the same release', () => {
    const app = appWith(undefined);
    const find = () => findCompanionPackage(projectCli(app), 'local invoke');

    expect(find).toThrow(MissingPackageError);
    expect(find).toThrow('`npm install --save-dev genai-finops-local@1.2.3`, then run `npx genai-finops local invoke` again');
    expect(find).toThrow("'local invoke' runs the local emulators");
    expect(find).toThrow('genai-finops-local is not on the npm registry yet: in a clone of the repository run `npm ci && npm pack -w packages/local`');
    expect(find).toThrow('`npm install --save-dev <clone>/genai-finops-local-1.2.3.tgz`');
  });

  test('refuses another release, naming where it is, both versions and the matching install', () => {
    const app = appWith({ version: '1.2.2', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });

    const find = () => findCompanionPackage(projectCli(app), 'demo');

    expect(find).toThrow(`genai-finops-local 1.2.2 is installed at ${path.join(fs.realpathSync(app), 'node_modules', COMPANION_PACKAGE)}, but genai-finops-constructs is 1.2.3`);
    expect(find).toThrow('`npm install --save-dev genai-finops-local@1.2.3`');
  });

  test('refuses a package without its entry file, saying how to build it in a clone and to reinstall it else', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' });

    expect(() => findCompanionPackage(projectCli(app), 'demo')).toThrow(/has no dist[/\\]index\.js: in a clone of the repository run `npm run build`; else reinstall it: /);
  });

  test('hands the CLI\'s own constructs, handler bundles and shutdown hook to the commands it loads', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });
    const companion = findCompanionPackage(projectCli(app), 'demo');
    const onShutdown = () => undefined;

    const commands = loadCompanionCommands(companion, { packageRoot: 'lib-root', onShutdown });

    expect(commands).toEqual({ libraryDir: 'lib-root', handlersDir: path.join('lib-root', 'assets', 'handlers'), onShutdown });
  });

  test('refuses an entry that is not the companion package\'s', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': 'exports.somethingElse = 1;' });

    expect(() => loadCompanionCommands(findCompanionPackage(projectCli(app), 'demo'), { packageRoot: 'lib-root', onShutdown: () => undefined })).toThrow('exports no createLocalCommands');
  });
});

describe('how to install what a command needs', () => {
  const project = path.join(path.sep, 'work', 'app');
  const globalModules = path.join(path.sep, 'usr', 'lib', 'node_modules');
  const at = (root: string, cwd: string): CliInstall => ({ root, version: '1.2.3', cwd, globalModules });
  const advice = (install: CliInstall) => installAdvice(install, ['genai-finops-local@1.2.3'], 'demo');
  const npxBoth = '`npx -p genai-finops-constructs@1.2.3 -p genai-finops-local@1.2.3 genai-finops demo`';

  test('a CLI in the project\'s node_modules, run in the project or below it: install into the project', () => {
    for (const cwd of [project, path.join(project, 'infra')]) {
      const install = at(path.join(project, 'node_modules', 'genai-finops-constructs'), cwd);
      expect(cliLocation(install)).toEqual({ kind: 'project', project, cwdInside: true });
      expect(advice(install)).toBe('`npm install --save-dev genai-finops-local@1.2.3`, then run `npx genai-finops demo` again');
    }
  });

  test('the project is above the first node_modules: pnpm\'s nested store, a nested dependency', () => {
    for (const root of [
      path.join(project, 'node_modules', '.pnpm', 'genai-finops-constructs@1.2.3', 'node_modules', 'genai-finops-constructs'),
      path.join(project, 'node_modules', 'some-tool', 'node_modules', 'genai-finops-constructs'),
    ]) {
      expect(cliLocation(at(root, project))).toEqual({ kind: 'project', project, cwdInside: true });
    }
  });

  test('a project\'s CLI run from outside the project: install into that project by --prefix', () => {
    const install = at(path.join(project, 'node_modules', 'genai-finops-constructs'), path.join(path.sep, 'tmp'));

    expect(cliLocation(install)).toEqual({ kind: 'project', project, cwdInside: false });
    expect(advice(install)).toBe(`\`npm install --save-dev --prefix ${project} genai-finops-local@1.2.3\` (the project this CLI is installed in), then run the command again`);
  });

  test('a folder whose name starts with two dots is inside the project, not above it', () => {
    expect(cliLocation(at(path.join(project, 'node_modules', 'genai-finops-constructs'), path.join(project, '..cache'))))
      .toEqual({ kind: 'project', project, cwdInside: true });
  });

  test('a global CLI: install globally beside it, or run both with npx', () => {
    const install = at(path.join(globalModules, 'genai-finops-constructs'), project);

    expect(cliLocation(install)).toEqual({ kind: 'global' });
    expect(advice(install)).toBe(`\`npm install --global genai-finops-local@1.2.3\` beside this CLI, or run both with npx: ${npxBoth}`);
  });

  test('a CLI in npx\'s cache: run both with npx', () => {
    const install = at(path.join(path.sep, 'home', 'dev', '.npm', '_npx', '0a1b2c', 'node_modules', 'genai-finops-constructs'), project);

    expect(cliLocation(install)).toEqual({ kind: 'npx' });
    expect(advice(install)).toBe(`run both with npx: ${npxBoth}`);
  });

  test('npm\'s global folder for a Node: <prefix>/lib/node_modules, <prefix>\\node_modules on Windows, or the configured prefix', () => {
    expect(globalModulesOf(path.join(path.sep, 'usr', 'bin', 'node'), undefined, 'linux')).toBe(globalModules);
    expect(globalModulesOf(path.join(path.sep, 'opt', 'node', 'bin', 'node'), path.join(path.sep, 'srv', 'npm'), 'linux')).toBe(path.join(path.sep, 'srv', 'npm', 'lib', 'node_modules'));
    expect(globalModulesOf(path.join(path.sep, 'nodejs', 'node.exe'), undefined, 'win32')).toBe(path.join(path.sep, 'nodejs', 'node_modules'));
  });
});

describe('the companion package\'s manifest', () => {
  const repo = path.resolve(__dirname, '..', '..');
  const library = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const companion = JSON.parse(fs.readFileSync(path.join(repo, 'packages', 'local', 'package.json'), 'utf8'));

  test('is released with the library: the same version, and a peer pin on exactly it', () => {
    expect(companion.name).toBe(COMPANION_PACKAGE);
    expect(companion.version).toBe(library.version);
    expect(companion.peerDependencies['genai-finops-constructs']).toBe(library.version);
    expect(library.workspaces).toContain('packages/local');
  });

  test('asks for the same versions of its dependencies as the repository develops with', () => {
    for (const [name, range] of Object.entries(companion.dependencies as Record<string, string>)) {
      expect({ name, range }).toEqual({ name, range: library.devDependencies[name] ?? library.dependencies[name] });
    }
  });
});

/*
 * The CLI's bundle in a package folder without the companion: what an app that installed only genai-finops-constructs
 * has. (The consumer test installs the packed package; this runs the bundle `npm run build` wrote, in seconds.)
 */
describe('the CLI without the companion package', () => {
  const repo = path.resolve(__dirname, '..', '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
  let pkg: string;

  beforeAll(() => {
    pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-cli-alone-'));
    made.push(pkg);
    fs.mkdirSync(path.join(pkg, 'bin'));
    fs.mkdirSync(path.join(pkg, 'dist', 'cli'), { recursive: true });
    fs.copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
    fs.copyFileSync(path.join(repo, 'bin', 'genai-finops.js'), path.join(pkg, 'bin', 'genai-finops.js'));
    fs.copyFileSync(path.join(repo, 'dist', 'cli', 'main.js'), path.join(pkg, 'dist', 'cli', 'main.js'));
  });

  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(pkg, 'bin', 'genai-finops.js'), ...args], { cwd: pkg, encoding: 'utf8', timeout: 30_000 });

  test.each([
    [['demo', '--help'], 'demo'],
    [['help', 'demo'], 'demo'],
    [['local', 'invoke', '--help'], 'local invoke'],
    [['help', 'local'], 'local invoke'],
  ])('%j says the command comes with the companion package and how to install it (exit 0)', (args, command) => {
    const run = cli(...args);

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^Usage: genai-finops ${command} \\[options\\]\n`));
    expect(run.stdout).toContain(`'${command}' runs the local emulators (a Bedrock simulator, DynamoDB Local, an in-memory S3), which come in the companion package ${COMPANION_PACKAGE}`);
    expect(run.stdout).toContain(`-p ${COMPANION_PACKAGE}@${version}`);
    expect(run.stdout).toContain('npm pack -w packages/local');
  });

  test('running the command exits 1 with the same advice', () => {
    const run = cli('demo');

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('\'demo\' runs the local emulators');
    expect(run.stdout).toBe('');
  });
});
