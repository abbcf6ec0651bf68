import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { percentile, round } from './stats';

const BARE_ENTRY = `
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
let bedrock, dynamodb;
export const handler = async () => { bedrock ??= new BedrockRuntimeClient({}); dynamodb ??= new DynamoDBClient({}); return 'ok'; };
`;

// What a cold start pays before the first request: loading and evaluating the bundle.
const MEASURE = 'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';

/**
 * Bundle size and module-initialisation time of the API handler against a bare bundle of the same two SDK clients
 * built with the same esbuild settings. Each sample is a fresh Node process; the two bundles alternate so that the
 * machine's drift affects both alike.
 */
export function measureColdInit(repo: string, runs = 15) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-bench-'));
  const entry = path.join(repo, 'bench', '.bare-entry.mjs');
  fs.writeFileSync(entry, BARE_ENTRY);
  const bare = path.join(dir, 'bare.js');
  try {
    buildSync({ entryPoints: [entry], outfile: bare, bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', mainFields: ['module', 'main'], legalComments: 'none', logLevel: 'warning' });
  } finally {
    fs.rmSync(entry);
  }
  const ours = path.join(repo, 'assets', 'handlers', 'api', 'index.js');
  const sample = (file: string) => Number(execFileSync(process.execPath, ['-e', MEASURE, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
  sample(ours);
  sample(bare);
  const oursMs: number[] = [];
  const bareMs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const o = sample(ours);
    const b = sample(bare);
    oursMs.push(o);
    bareMs.push(b);
    ratios.push(o / b);
  }
  return {
    handlerBundleBytes: fs.statSync(ours).size,
    bareBundleBytes: fs.statSync(bare).size,
    bundleSizeRatio: round(fs.statSync(ours).size / fs.statSync(bare).size, 2),
    handlerInitMsP50: round(percentile(oursMs, 50), 2),
    bareInitMsP50: round(percentile(bareMs, 50), 2),
    initRatioP50: round(percentile(ratios, 50), 3),
    runs,
  };
}
