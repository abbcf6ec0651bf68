#!/usr/bin/env node
'use strict';
// The genai-finops CLI. Its sources are TypeScript (bin/cli/, local/): tsx compiles them on the fly and caches the
// result, so the CLI works in a clone right after `npm ci`, without a build step.
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, 'cli', 'main.ts');
let tsx;
try {
  tsx = require.resolve('tsx/cjs');
} catch {
  tsx = undefined;
}
if (!tsx || !fs.existsSync(main)) {
  // The published package ships the constructs, not the CLI's sources or its dev dependencies.
  process.stderr.write('genai-finops: this command runs from a clone of the genai-finops-constructs repository, '
    + 'after `npm ci` (it needs the TypeScript sources in bin/cli/ and local/, and the dev dependency tsx).\n');
  process.exit(1);
}
require(tsx);
require(main).run(process.argv.slice(2));
