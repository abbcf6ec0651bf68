import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../packages/local/src/demo/html/chromium';
import { openOfflinePage } from '../support/offline-page';
import { CliRun, runCli } from './run-cli';

/** What the page's Chart.js instance on one canvas holds. */
interface DrawnChart {
  readonly canvasId: string;
  readonly hasChart: boolean;
  readonly labels: string[];
  readonly data: unknown[];
}

/** One page opened in Chromium: its charts, and every request and error it caused. */
interface OpenedPage {
  readonly charts: DrawnChart[];
  readonly csp: string | null;
  readonly requested: string[];
  readonly blocked: string[];
  readonly errors: string[];
}

const ARTICLE_PRICES = path.join('test', 'fixtures', 'article-prices.json');
const example = (name: string) => path.join('examples', 'workloads', name);

let dir: string;
let browser: Browser | undefined;

async function openPage(file: string): Promise<OpenedPage> {
  const { context, page, requested, blocked, consoleErrors, pageErrors } = await openOfflinePage(browser!, file);
  const errors = [...consoleErrors, ...pageErrors];
  // Runs in the page (no DOM types here: the test is compiled for Node).
  const charts = await page.evaluate(() => {
    const g = globalThis as any;
    return Array.from(g.document.querySelectorAll('canvas') as ArrayLike<any>).map((canvas: any) => {
      const chart = g.Chart.getChart(canvas);
      return {
        canvasId: canvas.id as string,
        hasChart: chart !== undefined,
        labels: chart ? [...chart.data.labels] : [],
        data: chart ? [...chart.data.datasets[0].data] : [],
      };
    });
  });
  const csp = await page.evaluate(() => (globalThis as any).document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null);
  await context.close();
  return { charts, csp, requested, blocked, errors };
}

async function estimate(args: ReadonlyArray<string>): Promise<CliRun> {
  const run = await runCli(['estimate', ...args]);
  if (run.code !== 0) throw new Error(`genai-finops estimate exited with ${run.code}: ${run.stderr}`);
  return run;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-estimate-html-'));
  // First, so that a missing Chromium fails at once, with what to install.
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('genai-finops estimate --html, every lever configured', () => {
  let json: any;
  let opened: OpenedPage;
  let pageFile: string;

  beforeAll(async () => {
    pageFile = path.join(dir, 'customer-support.html');
    const run = await estimate([example('customer-support.json'), '--json', '--html', pageFile]);
    json = JSON.parse(run.stdout);
    expect(run.stderr).toContain('wrote the estimate page');
    opened = await openPage(pageFile);
  }, 60_000);

  test('the page loads nothing: no src or href but data:, and its CSP allows no request', () => {
    const html = readFileSync(pageFile, 'utf8');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    const references = [...html.matchAll(/<[a-z]+\s[^>]*\b(?:src|href)="([^"]*)"/gi)].map((m) => m[1]);
    expect(references.filter((url) => !url.startsWith('data:'))).toEqual([]);
    expect(html).not.toContain('sourceMappingURL');
    expect(opened.csp).toBe("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:");
  });

  test('opening it in Chromium requests the page file and nothing else, with no console error', () => {
    expect(opened.blocked).toEqual([]);
    expect(opened.requested).toContain(pathToFileURL(pageFile).href);
    expect(opened.requested.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    expect(opened.errors).toEqual([]);
  });

  test('the waterfall has a bar for the baseline, each configured lever in the estimator\'s order and the optimized cost', () => {
    const chart = opened.charts.find((c) => c.canvasId === 'chart-waterfall');
    expect(chart?.hasChart).toBe(true);
    const configured = json.waterfall.filter((s: { configured: boolean }) => s.configured);
    expect(configured.length).toBeGreaterThan(3);
    expect(chart!.data).toHaveLength(configured.length + 2);
    expect(chart!.labels[0]).toBe(`Baseline (${json.baseline.name})`);
    expect(chart!.labels.at(-1)).toBe('Optimized');
    expect(opened.charts.map((c) => c.canvasId)).toEqual(['chart-waterfall']);
  });

  test('the bars start at the baseline, end at the optimized cost and their steps add up to the --json saving', () => {
    const bars = opened.charts.find((c) => c.canvasId === 'chart-waterfall')!.data as Array<[number, number]>;
    expect(bars[0]).toEqual([0, json.baseline.perMonthUsd]);
    expect(bars.at(-1)).toEqual([0, json.optimized.perMonthUsd]);
    const steps = bars.slice(1, -1);
    steps.slice(1).forEach((bar, i) => expect(bar[0]).toBeCloseTo(steps[i][1], 6));
    const total = steps.reduce((sum, [start, end]) => sum + (start - end), 0);
    expect(total).toBeCloseTo(json.baseline.perMonthUsd - json.optimized.perMonthUsd, 6);
    expect(total).toBeCloseTo(json.combined.savingUsd, 6);
    expect(steps.map(([start, end]) => start - end).every((saving) => saving > 0)).toBe(true);
  });
});

describe('genai-finops estimate --html --poc: the POC-to-production spiral', () => {
  let json: any;
  let opened: OpenedPage;

  beforeAll(async () => {
    const pageFile = path.join(dir, 'spiral.html');
    const run = await estimate([example('article-spiral-production.json'), '--prices', ARTICLE_PRICES, '--poc', example('article-spiral-poc.json'), '--json', '--html', pageFile]);
    json = JSON.parse(run.stdout);
    opened = await openPage(pageFile);
  }, 60_000);

  test('the projection chart shows the POC month and the production months of the --json projection', () => {
    const chart = opened.charts.find((c) => c.canvasId === 'chart-projection');
    expect(chart?.hasChart).toBe(true);
    expect(chart!.data).toEqual([json.projection.poc.perMonthUsd, json.projection.production.baselinePerMonthUsd, json.projection.production.perMonthUsd]);
    expect(json.projection.poc.perMonthUsd).toBeCloseTo(180, 6);
    expect(json.projection.monthFactor).toBeCloseTo(json.projection.volumeFactor * json.projection.perRequestFactor, 9);
    expect(opened.errors).toEqual([]);
    expect(opened.blocked).toEqual([]);
  });

  test('a workload without a lever has a waterfall of two equal bars, baseline and optimized', () => {
    const bars = opened.charts.find((c) => c.canvasId === 'chart-waterfall')!.data;
    expect(bars).toEqual([[0, json.baseline.perMonthUsd], [0, json.optimized.perMonthUsd]]);
    expect(json.baseline.perMonthUsd).toBe(json.optimized.perMonthUsd);
  });
});

describe('genai-finops estimate --html usage', () => {
  test('--html without a file is a usage error: exit 2', async () => {
    const usage = await runCli(['estimate', example('customer-support.json'), '--html']);
    expect({ code: usage.code, stdout: usage.stdout }).toEqual({ code: 2, stdout: '' });
    expect(usage.stderr).toContain("option '--html' needs a value");
  });

  test('--html into a directory that does not exist is a usage error', async () => {
    const missing = path.join(dir, 'no-such-dir', 'page.html');
    const usage = await runCli(['estimate', example('customer-support.json'), '--html', missing]);
    expect({ code: usage.code, stdout: usage.stdout }).toEqual({ code: 2, stdout: '' });
    expect(usage.stderr).toContain(`--html: the directory of '${missing}' does not exist`);
  });
});
