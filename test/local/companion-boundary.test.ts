import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The companion package genai-finops-local is its own package: the CLI hands it what its commands need (the
 * shutdown hook, the handler bundles, the constructs library), so nothing under packages/local/src may import bin/.
 */
const repo = path.resolve(__dirname, '..', '..');
const companionSources = path.join(repo, 'packages', 'local', 'src');
const bin = path.join(repo, 'bin');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [file] : [];
  });
}

/** The module specifiers of `import ... from`, `export ... from`, `import(...)`, `require(...)` and `import type`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const match of text.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

const inside = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

describe('the companion package\'s sources', () => {
  const files = sourceFiles(companionSources);

  test('are found (the scan reads the package)', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain(path.join(companionSources, 'index.ts'));
  });

  test('import nothing from bin/', () => {
    const imports = files.flatMap((file) => specifiers(fs.readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ file: path.relative(repo, file), specifier, resolved: path.resolve(path.dirname(file), specifier) })));
    expect(imports.length).toBeGreaterThan(50);

    expect(imports.filter(({ resolved }) => inside(bin, resolved)).map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });
});
