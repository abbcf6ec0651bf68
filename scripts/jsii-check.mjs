#!/usr/bin/env node
// Checks that the public API (lib/index.ts) compiles with jsii, i.e. can have Python, Java, .NET and Go bindings,
// without touching dist/ or the package: the sources jsii needs (lib/, shared/contract/, shared/core/) are copied
// into a temporary folder with a package.json holding a "jsii" section, and jsii runs there. Exits non-zero on any
// jsii error or warning. Usage: node scripts/jsii-check.mjs
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-finops-jsii-'));
try {
  for (const dir of ['lib', 'shared/contract', 'shared/core', 'shared/queries']) {
    fs.cpSync(path.join(repo, dir), path.join(work, dir), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  }
  fs.copyFileSync(path.join(repo, 'README.md'), path.join(work, 'README.md'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const jsiiManifest = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    license: manifest.license,
    // jsii requires an author and a repository; the package.json has neither yet.
    author: manifest.author ?? { name: 'genai-finops-constructs contributors', organization: false },
    repository: manifest.repository ?? { type: 'git', url: 'https://example.invalid/genai-finops-constructs.git' },
    main: 'dist/lib/index.js',
    types: 'dist/lib/index.d.ts',
    peerDependencies: manifest.peerDependencies,
    // jsii wants the bottom of each peer range as the dev dependency (JSII6); that concerns publishing, not the
    // API, and the repository's devDependencies stay at the versions the tests run with.
    devDependencies: Object.fromEntries(Object.entries(manifest.peerDependencies).map(([name, range]) => [name, range.replace(/^\^/, '')])),
    jsii: manifest.jsii ?? { outdir: 'dist-jsii', targets: {}, tsc: { outDir: 'dist', rootDir: '.' } },
  };
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify(jsiiManifest, null, 2));
  const jsii = path.join(repo, 'node_modules', 'jsii', 'bin', 'jsii');
  const result = spawnSync(process.execPath, [jsii, '--fail-on-warnings'], { cwd: work, encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (output) console.log(output);
  if (result.status !== 0 || /\b(error|warning)\b/i.test(output)) {
    console.error(`jsii check failed (exit ${result.status}).`);
    process.exitCode = 1;
  } else {
    console.log('jsii check passed: the public API compiles with jsii, no errors or warnings.');
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
