/**
 * The house's boundaries, kept by a test: what each room may import. Imports are read with the TypeScript compiler's
 * own pre-processor (every `import`, `export … from`, `require()` and `import()` of a file), so a boundary cannot be
 * crossed by a form of import the test does not know.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const REPO = path.resolve(__dirname, '..', '..');

/** The barrels through which the constructs use the shared modules. */
const SHARED_BARRELS = ['shared/contract', 'shared/core', 'shared/queries'];
const CDK = /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/;
const AWS_RUNTIME = /^(@aws-sdk\/|@smithy\/|@aws-lambda-powertools\/)/;

interface Import {
  /** The importing file, relative to the repository. */
  readonly file: string;
  /** The specifier as written. */
  readonly specifier: string;
  /** For a relative specifier, the imported path relative to the repository (no extension). */
  readonly target?: string;
  /** `import type …`: erased at compile time. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const root = path.join(REPO, dir);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join(dir, f).split(path.sep).join('/'));
}

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName: specifier, pos }) => {
    const statementStart = text.lastIndexOf('\n', pos) + 1;
    const typeOnly = /^\s*(import|export)\s+type\b/.test(text.slice(statementStart, pos));
    const target = specifier.startsWith('.')
      ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\/index$/, '')
      : undefined;
    return { file, specifier, target, typeOnly };
  });
}

function within(target: string | undefined, room: string): boolean {
  return target !== undefined && (target === room || target.startsWith(`${room}/`));
}

/** Every import of `rooms`' files that breaks `rule`, as `file → specifier` lines. */
function violations(rooms: string[], rule: (i: Import) => boolean): string[] {
  return rooms.flatMap(sourceFiles).flatMap(importsOf).filter(rule).map((i) => `${i.file} → ${i.specifier}`);
}

describe('import boundaries', () => {
  test('the runtime never imports aws-cdk-lib, constructs, the constructs or the tools', () => {
    expect(violations(['lambda'], (i) => CDK.test(i.specifier)
      || ['lib', 'bin', 'packages', 'reports', 'estimator'].some((room) => within(i.target, room)))).toEqual([]);
  });

  test('the shared modules are pure: no SDK, no aws-cdk-lib, nothing outside shared/', () => {
    expect(violations(['shared'], (i) => CDK.test(i.specifier) || AWS_RUNTIME.test(i.specifier)
      || (i.target !== undefined && !within(i.target, 'shared')))).toEqual([]);
  });

  test('the estimator is pure and uses only the shared modules', () => {
    expect(violations(['estimator'], (i) => CDK.test(i.specifier) || AWS_RUNTIME.test(i.specifier)
      || (i.target !== undefined && !within(i.target, 'estimator') && !within(i.target, 'shared')))).toEqual([]);
  });

  test('the constructs import the shared modules only through their barrels, and no runtime or tool', () => {
    expect(violations(['lib'], (i) => i.target !== undefined && !within(i.target, 'lib')
      && !SHARED_BARRELS.includes(i.target))).toEqual([]);
  });

  test('the offline reports import neither the CLI nor the companion package', () => {
    expect(violations(['reports'], (i) => ['bin', 'packages', 'lambda'].some((room) => within(i.target, room)))).toEqual([]);
  });

  test('the companion package never imports the CLI', () => {
    expect(violations(['packages/local/src'], (i) => within(i.target, 'bin'))).toEqual([]);
  });

  test('the CLI loads the companion package by its name, never from its sources (type imports aside)', () => {
    expect(violations(['bin'], (i) => within(i.target, 'packages') && !i.typeOnly)).toEqual([]);
  });

  test('finds the imports it judges (the rules above are not vacuous)', () => {
    const lambdaImports = sourceFiles('lambda').flatMap(importsOf);
    expect(lambdaImports.some((i) => within(i.target, 'shared/contract'))).toBe(true);
    expect(sourceFiles('lib').flatMap(importsOf).some((i) => CDK.test(i.specifier))).toBe(true);
    expect(importsOf('test/architecture/import-boundaries.test.ts').map((i) => i.specifier)).toContain('typescript');
  });
});
