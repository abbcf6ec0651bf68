// Bundles `genai-finops breaker reset` (bin/cli/breaker-command.ts) with the AWS SDK's DynamoDB client into
// dist/bin/cli/breaker-command.js, over the file tsc wrote there: the installed CLI then resets a breaker with nothing
// else installed, as the handler bundles call AWS without the app's SDK. Runs after `tsc -p tsconfig.cli.json`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.join(root, 'dist', 'bin', 'cli', 'breaker-command.js');

await build({
  entryPoints: [path.join(root, 'bin', 'cli', 'breaker-command.ts')],
  outfile,
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  legalComments: 'linked',
  logLevel: 'warning',
});
console.error(`bundled breaker reset with the DynamoDB client into dist/bin/cli/breaker-command.js (${Math.round(fs.statSync(outfile).size / 1024)} KB)`);
