/**
 * Regenerates docs/images/demo-dashboard.png, the README's picture of `genai-finops demo --html`: runs the demo
 * (300 requests, seed 42, the CLI's defaults) into a temporary page and screenshots it in headless Chromium.
 *
 *   npx tsx scripts/screenshot-demo.ts [--requests N] [--out FILE]
 *
 * Needs Chromium (`apt-get install -y chromium`, or CHROMIUM_PATH) and Java 17 for DynamoDB Local, as the demo does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../packages/local/src/demo/html/chromium';

const REPO_ROOT = path.resolve(__dirname, '..');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const requests = option('requests', '300');
  const out = path.resolve(REPO_ROOT, option('out', path.join('docs', 'images', 'demo-dashboard.png')));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-screenshot-'));
  try {
    const page = path.join(dir, 'demo.html');
    const demo = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'genai-finops.js'), 'demo', '--requests', requests, '--html', page],
      { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (demo.status !== 0) throw new Error(`genai-finops demo exited with ${demo.status ?? demo.signal}`);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      const tab = await context.newPage();
      await tab.goto(pathToFileURL(page).href);
      await tab.waitForSelector('html[data-charts-drawn]');
      await tab.screenshot({ path: out, fullPage: true });
    } finally {
      await browser.close();
    }
    process.stderr.write(`wrote ${path.relative(REPO_ROOT, out)} (${Math.round(statSync(out).size / 1024)} KB)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  process.stderr.write(`screenshot-demo: ${error.message}\n`);
  process.exit(1);
});
