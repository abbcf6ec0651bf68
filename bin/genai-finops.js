#!/usr/bin/env node
'use strict';
// The genai-finops CLI. In a clone its sources are TypeScript (bin/cli/, local/): tsx compiles them on the fly, so
// the CLI works right after `npm ci`, without a build step. The published package ships the commands compiled in
// dist/bin/cli/; `demo` and `local invoke` then load the emulators from the companion package genai-finops-local.
const path = require('node:path');
const fs = require('node:fs');

const sources = path.join(__dirname, 'cli', 'main.ts');
const compiled = path.join(__dirname, '..', 'dist', 'bin', 'cli', 'main.js');

function tsxLoader() {
  try {
    return require.resolve('tsx/cjs');
  } catch {
    return undefined;
  }
}

const tsx = fs.existsSync(sources) ? tsxLoader() : undefined;
if (tsx) {
  require(tsx);
  require(sources).run(process.argv.slice(2));
} else if (fs.existsSync(compiled)) {
  require(compiled).run(process.argv.slice(2));
} else {
  process.stderr.write('genai-finops: the CLI is not built. In a clone of the repository, run `npm ci` first.\n');
  process.exit(1);
}
