// Bundles each runtime handler into assets/handlers/<name>/index.js, the code the constructs ship.
// Minified, AWS SDK included and tree-shaken (the Lambda runtime's SDK version is not ours to choose),
// CommonJS so that lazily required modules are only initialised when first used.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const handlers = ['api', 'document', 'scheduled', 'breaker', 'reconcile'];

await Promise.all(handlers.map((name) => build({
  entryPoints: [path.join(root, 'lambda', 'handlers', `${name}.ts`)],
  outfile: path.join(root, 'assets', 'handlers', name, 'index.js'),
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  // Third-party licence notices go to index.js.LEGAL.txt beside the bundle, not lost.
  legalComments: 'linked',
  logLevel: 'warning',
})));
console.error(`bundled ${handlers.length} handlers into assets/handlers`);
