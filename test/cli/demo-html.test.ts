import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { dashboardWidgetSpecs, PROMPT_CACHE_HIT_RATE_TARGET } from '../../lib/observability/dashboard-spec';
import { GUARDRAIL_RUNS } from '../../packages/local/src/demo/guardrails';
import { DEMO_DASHBOARD_WORKFLOWS, pageWidgets, wrapLabel } from '../../packages/local/src/demo/html';
import { launchChromium } from '../../packages/local/src/demo/html/chromium';
import type { DemoReport, DemoRun } from '../../packages/local/src/demo/run-demo';
import { openOfflinePage } from '../support/offline-page';
import { CliRun, runCli } from './run-cli';

/** What the page's Chart.js instance on one canvas holds. */
interface DrawnChart {
  readonly canvasId: string;
  readonly hasChart: boolean;
  readonly labels: unknown[];
  readonly datasets: Array<{ label: string; type?: string; data: unknown[] }>;
  readonly width: number;
}

/** One row of the page's summary table: each numeric cell's data-value. */
interface SummaryRow {
  readonly scenario: string;
  readonly values: Record<string, number>;
  readonly texts: Record<string, string>;
}

const REQUESTS = 30;
const SEED = 11;

let dir: string;
let pageFile: string;
let screenshotFile: string;
let browser: Browser | undefined;
let run: CliRun;
let report: DemoReport;
let charts: DrawnChart[];
let summary: SummaryRow[];
let csp: string | null;
let rows: Array<{ id: string; notEmulated: string }>;
// What the page requested and raised: the live lists of the opened page.
let requested: string[] = [];
let blocked: string[] = [];
let consoleErrors: string[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-demo-html-'));
  pageFile = path.join(dir, 'dashboard.html');
  screenshotFile = path.join(dir, 'dashboard.png');
  // First, so that a missing Chromium fails at once, with what to install.
  browser = await launchChromium();

  // A ceiling for a shared, loaded machine (the demo synthesizes its stack, then replays): a run takes ~20 s.
  run = await runCli(['demo', '--requests', String(REQUESTS), '--seed', String(SEED), '--json', '--html', pageFile], 300_000);
  if (run.code !== 0) throw new Error(`genai-finops demo exited with ${run.code}: ${run.stderr}`);
  report = JSON.parse(run.stdout) as DemoReport;

  const opened = await openOfflinePage(browser, pageFile);
  const { page } = opened;
  ({ requested, blocked, consoleErrors, pageErrors } = opened);
  // Runs in the page (no DOM types here: the test is compiled for Node).
  charts = await page.evaluate(() => {
    const g = globalThis as any;
    return Array.from(g.document.querySelectorAll('canvas') as ArrayLike<any>).map((canvas: any) => {
      const canvasChart = g.Chart.getChart(canvas);
      return {
        canvasId: canvas.id as string,
        hasChart: canvasChart !== undefined,
        labels: canvasChart ? [...canvasChart.data.labels] : [],
        datasets: canvasChart ? canvasChart.data.datasets.map((d: any) => ({ label: d.label, type: d.type, data: [...d.data] })) : [],
        width: canvas.width as number,
      };
    });
  });
  summary = await page.evaluate(() => {
    const g = globalThis as any;
    return Array.from(g.document.querySelectorAll('tr[data-scenario]') as ArrayLike<any>).map((row: any) => {
      const values: Record<string, number> = {};
      const texts: Record<string, string> = {};
      for (const cell of Array.from(row.querySelectorAll('td[data-field]') as ArrayLike<any>)) {
        values[cell.dataset.field] = Number(cell.dataset.value);
        texts[cell.dataset.field] = cell.textContent;
      }
      return { scenario: row.dataset.scenario as string, values, texts };
    });
  });
  rows = await page.evaluate(() => Array.from((globalThis as any).document.querySelectorAll('section.row') as ArrayLike<any>)
    .map((row: any) => ({ id: row.id as string, notEmulated: (row.querySelector('.not-emulated')?.textContent ?? '') as string })));
  csp = await page.evaluate(() => (globalThis as any).document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null);
  await page.screenshot({ path: screenshotFile, fullPage: true });
}, 360_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function chart(id: string): DrawnChart {
  const found = charts.find((c) => c.canvasId === `chart-${id}`);
  if (!found) throw new Error(`the page has no canvas chart-${id}; it has ${charts.map((c) => c.canvasId).join(', ')}`);
  return found;
}

/** The values of a chart's dataset, one per scenario. */
function dataset(id: string, label: string): number[] {
  const found = chart(id).datasets.find((d) => d.label === label);
  if (!found) throw new Error(`chart ${id} has no dataset '${label}'; it has ${chart(id).datasets.map((d) => d.label).join(', ')}`);
  return found.data as number[];
}

/** The charts' bar groups: the lever runs, then the guardrail runs. */
function chartScenarios(): string[] {
  return [...report.runs.map((r) => r.scenario.id), GUARDRAIL_RUNS.quota.id, GUARDRAIL_RUNS.breaker.id];
}

/** The requests each guardrail run sent, and how many it refused with 429 and paused with 503. */
function guardrailFigures() {
  const { quota, breaker } = report.guardrails;
  const breakerSent = breaker.rows.reduce((n, r) => n + r.sent, 0);
  const paused = breaker.rows.reduce((n, r) => n + (r.status['503'] ?? 0), 0);
  return { quotaSent: quota.sent, refused429: quota.refused429, breakerSent, paused };
}

function runOf(scenarioId: string): DemoRun {
  return report.runs.find((r) => r.scenario.id === scenarioId)!;
}

describe('genai-finops demo --html', () => {
  test('exits 0 with the JSON report on stdout and names the page it wrote on stderr', () => {
    expect(run.code).toBe(0);
    expect(report.runs.map((r) => r.totals.requests)).toEqual(report.runs.map(() => REQUESTS));
    // One record per request: the lever runs' and the guardrail runs' (the API function's; the breaker's own are not drawn).
    const { quotaSent, breakerSent } = guardrailFigures();
    expect(run.stderr).toContain(`wrote the dashboard page (${REQUESTS * report.runs.length + quotaSent + breakerSent} EMF records`);
    expect(run.stderr).toContain(pageFile);
    expect(statSync(pageFile).size).toBeGreaterThan(0);
    // The page names the command that made it as a clone runs it; stderr offers no --html hint, having written one.
    expect(readFileSync(pageFile, 'utf8')).toContain(`npx genai-finops demo --requests ${REQUESTS} --seed ${SEED} --html FILE`);
    expect(run.stderr).not.toContain('--html dashboard.html');
  });

  test('the page loads nothing: no script or link points anywhere, and its CSP allows no request', () => {
    const html = readFileSync(pageFile, 'utf8');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    const references = [...html.matchAll(/<[a-z]+\s[^>]*\b(?:src|href)="([^"]*)"/gi)].map((m) => m[1]);
    expect(references.filter((url) => !url.startsWith('data:'))).toEqual([]);
    expect(html).not.toContain('sourceMappingURL');
    expect(csp).toBe("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:");
  });

  test('opening it in Chromium requests the page file and nothing else', () => {
    expect(blocked).toEqual([]);
    expect(requested).toContain(pathToFileURL(pageFile).href);
    expect(requested.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
  });

  test('its rows and widgets are the CloudWatch dashboard\'s: each widget drawn, or named as not emulated locally', () => {
    const specs = dashboardWidgetSpecs([...DEMO_DASHBOARD_WORKFLOWS]);
    expect(rows.map((r) => r.id)).toEqual(specs.filter((w) => w.kind === 'text').map((w) => `row-${w.id}`));
    const drawn = new Set(charts.map((c) => c.canvasId.replace(/^chart-/, '')));
    const named = rows.map((r) => r.notEmulated).join(' ');
    for (const spec of specs.filter((w) => w.kind !== 'text')) {
      expect({ id: spec.id, shown: drawn.has(spec.id) || named.includes(spec.title) }).toEqual({ id: spec.id, shown: true });
    }
    // What needs AWS: Bedrock's own metrics and the Lambda service's.
    expect(named).toContain('Bedrock throttles by model');
    expect(named).toContain('Handler errors and throttles');
  });

  test('every drawn widget is a Chart on its canvas, with one finite number per scenario in every dataset', () => {
    expect(charts.map((c) => c.canvasId)).toEqual(pageWidgets().map((w) => `chart-${w.id}`));
    for (const drawn of charts) {
      expect({ id: drawn.canvasId, hasChart: drawn.hasChart }).toEqual({ id: drawn.canvasId, hasChart: true });
      expect(drawn.width).toBeGreaterThan(0);
      expect(drawn.labels).toHaveLength(chartScenarios().length);
      for (const d of drawn.datasets) {
        expect(d.data).toHaveLength(chartScenarios().length);
        for (const value of d.data) expect(Number.isFinite(value)).toBe(true);
      }
    }
    // The widgets every run fills (rejections, settle failures and the embedding cache stay at 0 in this workload).
    for (const id of ['cost-per-hour', 'cost-by-model', 'tokens-by-workflow', 'tokens-by-model', 'route-mix', 'latency', 'largest-request']) {
      expect({ id, someValue: chart(id).datasets.some((d) => (d.data as number[]).some((v) => v > 0)) }).toEqual({ id, someValue: true });
    }
  });

  test('the summary shows each scenario with the cost, requests and model calls of the --json report', () => {
    expect(summary.map((r) => r.scenario)).toEqual(report.runs.map((r) => r.scenario.id));
    for (const row of summary) {
      const totals = runOf(row.scenario).totals;
      expect({ scenario: row.scenario, cost: row.values.costUsd, text: row.texts.costUsd, requests: row.values.requests, modelCalls: row.values.modelCalls })
        .toEqual({ scenario: row.scenario, cost: totals.costUsd, text: `$${totals.costUsd.toFixed(4)}`, requests: totals.requests, modelCalls: totals.modelCalls });
    }
  });

  test('tokens by workflow are, per scenario, the token totals of the --json report', () => {
    const reportField = { 'input': 'inputTokens', 'output': 'outputTokens', 'cache read': 'cacheReadTokens', 'cache write': 'cacheWriteTokens' } as const;
    expect(chart('tokens-by-workflow').datasets.map((d) => d.label)).toEqual(Object.keys(reportField));
    for (const [label, field] of Object.entries(reportField)) {
      expect({ label, values: dataset('tokens-by-workflow', label).slice(0, report.runs.length) }).toEqual({ label, values: report.runs.map((r) => r.totals[field]) });
    }
  });

  test('cost per hour of the workflow, and cost by model added up, are each scenario\'s cost', () => {
    expect(chart('cost-per-hour').datasets.map((d) => d.label)).toEqual(['customer-support/support-chat']);
    for (const id of ['cost-per-hour', 'cost-by-model', 'cost-month-to-date']) {
      const sums = report.runs.map((_, i) => chart(id).datasets.reduce((total, d) => total + (d.data[i] as number), 0));
      sums.forEach((total, i) => expect({ id, scenario: i, total: Math.round(total * 1e4) }).toEqual({ id, scenario: i, total: Math.round(report.runs[i].totals.costUsd * 1e4) }));
    }
    // Routing moves spend off Opus: without it one model has all of it, with it three share it.
    const models = (id: string) => chart('cost-by-model').datasets.filter((d) => (d.data[report.runs.findIndex((r) => r.scenario.id === id)] as number) > 0).length;
    expect([models('naive'), models('routing')]).toEqual([1, 3]);
  });

  test('the route mix puts every request on a tier: one tier without routing, the routed models\' split with it', () => {
    const tiers = chart('route-mix').datasets;
    report.runs.forEach((r, i) => expect(tiers.reduce((n, d) => n + (d.data[i] as number), 0)).toBe(r.totals.requests));
    const naive = report.runs.findIndex((r) => r.scenario.id === 'naive');
    expect(tiers.filter((d) => (d.data[naive] as number) > 0)).toHaveLength(1);
    const routing = report.runs.findIndex((r) => r.scenario.id === 'routing');
    const calls = runOf('routing').totals.callsByModel;
    expect(['simple', 'medium', 'complex'].map((tier) => tiers.find((d) => d.label === tier)?.data[routing] ?? 0))
      .toEqual([calls.haiku, calls.sonnet, calls.opus]);
  });

  test('the cache hit rates are above 0 only where the cache is on, with the prompt cache\'s > 90 % target line', () => {
    expect(report.workload.repeats).toBeGreaterThan(0);
    const target = chart('prompt-cache-hit-rate').datasets.find((d) => d.type === 'line');
    expect(target?.data).toEqual(chartScenarios().map(() => PROMPT_CACHE_HIT_RATE_TARGET * 100));
    const prompt = dataset('prompt-cache-hit-rate', 'customer-support/support-chat');
    const response = dataset('response-cache-hit-rate', 'customer-support/support-chat');
    expect(report.runs.map((r, i) => ({ id: r.scenario.id, prompt: prompt[i] > 0, response: response[i] > 0 })))
      .toEqual(report.runs.map((r) => ({ id: r.scenario.id, prompt: r.scenario.levers.promptCaching, response: r.scenario.levers.responseCache })));
    const hits = runOf('response-cache').totals.responseCacheHits;
    const responseCacheRun = report.runs.findIndex((r) => r.scenario.id === 'response-cache');
    expect(response[responseCacheRun]).toBeCloseTo((100 * hits) / REQUESTS, 4);
  });

  test('the rejection charts show the guardrail runs: the quota\'s 429s and the breaker\'s 503 pauses, and none in the lever runs', () => {
    const { refused429, paused } = guardrailFigures();
    expect(refused429).toBeGreaterThan(0);
    expect(paused).toBeGreaterThan(0);
    const quota = chartScenarios().indexOf(GUARDRAIL_RUNS.quota.id);
    const breaker = chartScenarios().indexOf(GUARDRAIL_RUNS.breaker.id);
    const levers = report.runs.map(() => 0);
    // 4xx count as rejected, 5xx as failed (the pipeline's RejectedRequests and FailedRequests): a pause is a 503.
    expect(dataset('rejections', 'rejected')).toEqual([...levers, refused429, 0]);
    expect(dataset('rejections', 'failed')).toEqual([...levers, 0, paused]);
    expect(dataset('rejections-by-error-code', 'USAGE_LIMIT_EXCEEDED')).toEqual([...levers, refused429, 0]);
    expect(dataset('rejections-by-error-code', 'FEATURE_PAUSED')).toEqual([...levers, 0, paused]);
    expect([chart('rejections').labels[quota], chart('rejections').labels[breaker]])
      .toEqual([wrapLabel(GUARDRAIL_RUNS.quota.label, 10), wrapLabel(GUARDRAIL_RUNS.breaker.label, 10)]);
  });

  test('latency p99 is at least p50 in every scenario', () => {
    const p50 = dataset('latency', 'p50');
    const p99 = dataset('latency', 'p99');
    p50.forEach((median, i) => {
      expect(median).toBeGreaterThan(0);
      expect(p99[i]).toBeGreaterThanOrEqual(median);
    });
  });

  test('the page logs no console error and throws no error', () => {
    expect({ consoleErrors, pageErrors }).toEqual({ consoleErrors: [], pageErrors: [] });
  });

  test('a screenshot of the rendered page is written', () => {
    const png = readFileSync(screenshotFile);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});

describe('genai-finops demo --html usage', () => {
  test('--html without a file is a usage error: exit 2', async () => {
    const usage = await runCli(['demo', '--html']);
    expect({ code: usage.code, stdout: usage.stdout }).toEqual({ code: 2, stdout: '' });
    expect(usage.stderr).toContain("option '--html' needs a value");
  });

  test('--html into a directory that does not exist is a usage error, before any run', async () => {
    const missing = path.join(dir, 'no-such-dir', 'page.html');
    const usage = await runCli(['demo', '--requests', '5', '--html', missing]);
    expect({ code: usage.code, stdout: usage.stdout }).toEqual({ code: 2, stdout: '' });
    expect(usage.stderr).toContain(`--html: the directory of '${missing}' does not exist`);
    expect(usage.stderr).not.toContain('starting the Bedrock simulator');
  });
});
