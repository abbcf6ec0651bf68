#!/usr/bin/env node
'use strict';
// The genai-finops CLI: one bundle, dist/cli/main.js (scripts/build.mjs), the same in a clone and in an install.
// `demo` and `local invoke` load the emulators from the companion package genai-finops-local, which npm's
// workspaces link into a clone's node_modules and an app installs beside this package.
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('genai-finops: the CLI is not built (no dist/cli/main.js). In a clone of the repository, run `npm ci && npm run build` first.\n');
  process.exit(1);
}
require(main).run(process.argv.slice(2));
