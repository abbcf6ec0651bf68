// The three esbuild bundles of the repository (the library's constructs are compiled by `tsc -p tsconfig.build.json`):
//
//   handlers   lambda/<workflow>/handler.ts -> assets/handlers/<name>/index.js, the code the constructs deploy
//   cli        bin/cli/main.ts -> dist/cli/main.js, the `genai-finops` command that bin/genai-finops.js runs
//   companion  packages/local/src/index.ts -> packages/local/dist/index.js, the companion package genai-finops-local
//
// Usage: node scripts/build.mjs [handlers] [cli] [companion]   (no argument: all three)
//
// Each bundle checks that every third-party module it leaves outside is one its package declares, so that an install
// can never miss a module.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const LIBRARY_PACKAGE = 'genai-finops-constructs';
const readManifest = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const kb = (file) => `${Math.round(fs.statSync(file).size / 1024)} KB`;

// Handlers: minified, AWS SDK included and tree-shaken (the Lambda runtime's SDK version is not ours to choose),
// CommonJS so that lazily required modules are only initialised when first used. Each asset is named for its
// handler; its entry is the handler.ts of its workflow's folder under lambda/.
async function buildHandlers() {
  const handlers = { 'api': 'api', 'document': 'document', 'scheduled': 'scheduled', 'breaker': 'breaker', 'reconcile': 'reconciliation', 'notifier': 'notifier', 'api-stream': 'api/stream-handler.ts' };
  await Promise.all(Object.entries(handlers).map(([name, folder]) => build({
    // A folder's handler.ts, or a named file (the API's streaming handler beside its buffered one).
    entryPoints: [path.join(root, 'lambda', folder.endsWith('.ts') ? folder : path.join(folder, 'handler.ts'))],
    outfile: path.join(root, 'assets', 'handlers', name, 'index.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: handlerNodeTarget(),
    format: 'cjs',
    mainFields: ['module', 'main'],
    // Third-party licence notices go to index.js.LEGAL.txt beside the bundle, not lost.
    legalComments: 'linked',
    // esbuild's CommonJS exports are getters that cannot be redefined; OpenTelemetry's Lambda instrumentation (the ADOT
    // layer, Application Signals) wraps the handler by redefining its export and fails every invocation with "Cannot
    // redefine property: handler" (open-telemetry/opentelemetry-lambda#1781). Plain data properties can be wrapped.
    footer: { js: 'module.exports = { ...module.exports };' },
    logLevel: 'warning',
  })));
  return `${Object.keys(handlers).length} handlers into assets/handlers (target ${handlerNodeTarget()})`;
}

// The Node.js version the functions deploy on, from HANDLER_RUNTIME (lib/private/bundled-handler.ts, which the
// constructs use), so that the handlers' target and their runtime cannot drift apart.
function handlerNodeTarget() {
  const source = fs.readFileSync(path.join(root, 'lib', 'private', 'bundled-handler.ts'), 'utf8');
  const major = /HANDLER_RUNTIME = lambda\.Runtime\.NODEJS_(\d+)_X;/.exec(source)?.[1];
  if (!major) throw new Error('lib/private/bundled-handler.ts: HANDLER_RUNTIME is not lambda.Runtime.NODEJS_<major>_X, so the handlers\' target cannot be chosen.');
  return `node${major}`;
}

// The CLI: one file. The DynamoDB client is bundled in, so that `breaker reset` works in an app without the AWS SDK,
// as the handlers call AWS without the app's SDK. What stays outside is loaded on use, never at start: aws-cdk-lib
// and constructs (assess; the app's own), DuckDB (reconcile and statement say how to install it), the companion
// package (demo, local invoke) and Chart.js (a dependency: its file is inlined into --html pages).
const CLI_EXTERNAL = ['aws-cdk-lib', 'constructs', '@duckdb/node-api', 'genai-finops-local', 'chart.js'];
async function buildCli() {
  const outfile = path.join(root, 'dist', 'cli', 'main.js');
  const result = await build({
    entryPoints: [path.join(root, 'bin', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    // Readable stack traces (GENAI_FINOPS_DEBUG) would need names; the SDK makes most of the size, so whitespace
    // and syntax are minified and identifiers kept.
    minifyWhitespace: true,
    minifySyntax: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: CLI_EXTERNAL.flatMap((name) => [name, `${name}/*`]),
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // The CLI requires files by computed path on purpose: its package.json, the companion package's entry.
    logOverride: { 'unsupported-require-call': 'silent' },
  });
  const manifest = readManifest(root);
  checkExternals(result.metafile, { ...manifest.dependencies, ...manifest.peerDependencies, '@duckdb/node-api': 'installed on demand', 'genai-finops-local': 'the companion' },
    'package.json', 'the CLI bundle');
  return `the CLI into dist/cli/main.js (${kb(outfile)})`;
}

// The companion package genai-finops-local: the demo, the Bedrock simulator, DynamoDB Local's launcher, the local S3
// and the local commands in one module. Third-party packages stay outside, as its declared dependencies. The
// constructs are not bundled either: every import of the library's index (lib/index.ts) becomes the library the CLI
// hands over (packages/local/src/library.ts), so that the demo synthesizes the constructs of the package that runs it.
async function buildCompanion() {
  const pkgDir = path.join(root, 'packages', 'local');
  const manifest = readManifest(pkgDir);
  const outfile = path.join(pkgDir, manifest.main);
  const libraryIndex = path.join(root, 'lib');
  const handOver = path.join(pkgDir, 'src', 'library.ts');
  const result = await build({
    entryPoints: [path.join(pkgDir, 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    // Readable stack traces for a tool that runs on a developer's machine.
    minify: false,
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
    logOverride: { 'unsupported-require-call': 'silent' },
    plugins: [{
      name: 'constructs-from-the-cli-package',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /(^|\/)lib$/ }, (args) => (
          path.resolve(args.resolveDir, args.path) === libraryIndex ? { path: 'constructs-library', namespace: 'genai-finops' } : undefined
        ));
        pluginBuild.onLoad({ filter: /.*/, namespace: 'genai-finops' }, () => ({
          contents: `module.exports = require(${JSON.stringify(handOver)}).constructsLibrary();`,
          resolveDir: path.dirname(handOver),
          loader: 'js',
        }));
      },
    }],
  });
  checkExternals(result.metafile, { ...manifest.dependencies, ...manifest.peerDependencies }, 'packages/local/package.json', 'the companion bundle', true);
  return `${manifest.name} into packages/local/${manifest.main} (${kb(outfile)})`;
}

/**
 * Fails when a bundle leaves outside a package its manifest does not declare (and, with `exact`, when the manifest
 * declares one the bundle never imports).
 */
function checkExternals(metafile, declared, manifestName, bundleName, exact = false) {
  const packageOf = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  const builtins = new Set(builtinModules);
  const imported = new Set();
  for (const input of Object.values(metafile.inputs)) {
    for (const { path: specifier, external } of input.imports) {
      if (!external || specifier.startsWith('<') || specifier.startsWith('.') || path.isAbsolute(specifier) || specifier.startsWith('node:') || builtins.has(specifier)) continue; // <runtime>: esbuild's helpers
      imported.add(packageOf(specifier));
    }
  }
  const undeclared = [...imported].filter((name) => !(name in declared)).sort();
  if (undeclared.length > 0) throw new Error(`${manifestName} does not declare ${undeclared.join(', ')}, which ${bundleName} imports: add them to its dependencies (or peerDependencies), or bundle them.`);
  const unused = exact ? Object.keys(declared).filter((name) => !imported.has(name) && name !== LIBRARY_PACKAGE).sort() : [];
  if (unused.length > 0) throw new Error(`${manifestName} declares ${unused.join(', ')}, which ${bundleName} never imports: remove them.`);
}

const BUILDS = { handlers: buildHandlers, cli: buildCli, companion: buildCompanion };
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BUILDS));
if (unknown.length > 0) {
  console.error(`unknown build ${unknown.join(', ')}: choose from ${Object.keys(BUILDS).join(', ')} (none: all)`);
  process.exit(2);
}
try {
  const done = await Promise.all((asked.length > 0 ? asked : Object.keys(BUILDS)).map((name) => BUILDS[name]()));
  for (const line of done) console.error(`bundled ${line}`);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
