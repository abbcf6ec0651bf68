import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMPANION_PACKAGE, findCompanionPackage, loadCompanionCommands, MissingPackageError } from '../../bin/cli/companion';

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

const ENTRY = 'exports.createLocalCommands = (options) => ({ handlersDir: options.handlersDir });';

describe('finding the companion package genai-finops-local', () => {
  test('finds it in the first folder that has it, at the version of the CLI', () => {
    const empty = appWith(undefined);
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });

    const found = findCompanionPackage([empty, app], '1.2.3', 'demo');

    expect(found).toEqual({ dir: path.join(fs.realpathSync(app), 'node_modules', COMPANION_PACKAGE), version: '1.2.3', entry: expect.stringMatching(/dist[/\\]index\.js$/) });
  });

  test('when it is not installed, names the command and the install command of the same release', () => {
    const find = () => findCompanionPackage([appWith(undefined)], '1.2.3', 'local invoke');

    expect(find).toThrow(MissingPackageError);
    expect(find).toThrow('`npm install --save-dev genai-finops-local@1.2.3`');
    expect(find).toThrow("'local invoke' runs the local emulators");
  });

  test('refuses another release, naming both versions and the matching install', () => {
    const app = appWith({ version: '1.2.2', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });

    const find = () => findCompanionPackage([app], '1.2.3', 'demo');

    expect(find).toThrow('genai-finops-local 1.2.2 is installed, but genai-finops-constructs is 1.2.3');
    expect(find).toThrow('`npm install --save-dev genai-finops-local@1.2.3`');
  });

  test('refuses a package without its entry file', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' });

    expect(() => findCompanionPackage([app], '1.2.3', 'demo')).toThrow(/has no dist[/\\]index\.js: reinstall it/);
  });

  test('hands the library\'s own handler bundles to the commands it loads', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': ENTRY });
    const companion = findCompanionPackage([app], '1.2.3', 'demo');

    const commands = loadCompanionCommands(companion, path.join('lib-root'));

    expect(commands).toEqual({ handlersDir: path.join('lib-root', 'assets', 'handlers') });
  });

  test('refuses an entry that is not the companion package\'s', () => {
    const app = appWith({ version: '1.2.3', main: 'dist/index.js' }, { 'dist/index.js': 'exports.somethingElse = 1;' });

    expect(() => loadCompanionCommands(findCompanionPackage([app], '1.2.3', 'demo'), 'lib-root')).toThrow('exports no createLocalCommands');
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
