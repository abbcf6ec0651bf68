// Builds the companion package genai-finops-local (packages/local): local/companion-package.ts and everything of this
// repository it imports (the demo, the Bedrock simulator, DynamoDB Local's launcher, the local S3, the pipeline's
// config reader) bundled into dist/index.js, and the sample events copied into events/.
//
// Third-party packages stay outside the bundle, as the package's declared dependencies: the build fails when the
// bundle imports one that packages/local/package.json does not declare, so an install can never miss a module.
//
// The constructs (lib/, which the demo synthesizes) are not bundled either: they are imported from the installed
// genai-finops-constructs, a peer like aws-cdk-lib and constructs, so that the demo synthesizes the constructs the
// user deploys, and their handler bundles are found in that package.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkgDir = path.join(root, 'packages', 'local');
const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const LIBRARY_PACKAGE = 'genai-finops-constructs';

const result = await build({
  entryPoints: [path.join(root, 'local', 'companion-package.ts')],
  outfile: path.join(pkgDir, manifest.main),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  // Readable stack traces for a tool that runs on a developer's machine; the bundle is ~330 KB either way.
  minify: false,
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [{
    name: 'constructs-from-the-library-package',
    setup(pluginBuild) {
      const libIndex = path.join(root, 'lib');
      pluginBuild.onResolve({ filter: /(^|\/)lib$/ }, (args) => (
        path.resolve(args.resolveDir, args.path) === libIndex ? { path: LIBRARY_PACKAGE, external: true } : undefined
      ));
    },
  }],
});

const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const builtins = new Set(builtinModules);
const imported = new Set();
for (const input of Object.values(result.metafile.inputs)) {
  for (const { path: specifier, external } of input.imports) {
    if (!external || specifier.startsWith('<') || specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue; // <runtime>: esbuild's helpers
    imported.add(packageOf(specifier));
  }
}
const declared = { ...manifest.dependencies, ...manifest.peerDependencies };
const undeclared = [...imported].filter((name) => !(name in declared)).sort();
if (undeclared.length > 0) {
  console.error(`packages/local/package.json does not declare ${undeclared.join(', ')}, which the bundle imports: add them to its dependencies (or peerDependencies).`);
  process.exit(1);
}
const unused = Object.keys(declared).filter((name) => !imported.has(name)).sort();
if (unused.length > 0) {
  console.error(`packages/local/package.json declares ${unused.join(', ')}, which the bundle never imports: remove them.`);
  process.exit(1);
}

const events = path.join(pkgDir, 'events');
fs.rmSync(events, { recursive: true, force: true });
fs.cpSync(path.join(root, 'local', 'events'), events, { recursive: true });

const bytes = fs.statSync(path.join(pkgDir, manifest.main)).size;
console.error(`bundled ${manifest.name} into packages/local/${manifest.main} (${Math.round(bytes / 1024)} KB, imports ${[...imported].sort().join(', ')})`);
