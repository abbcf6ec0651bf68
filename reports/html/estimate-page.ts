/**
 * `genai-finops estimate --html FILE`: the estimate as one self-contained page (Chart.js and the figures inlined,
 * a CSP that allows no request): a waterfall from the baseline to the optimized cost, one step down per lever in
 * the order the estimator combines them, and, given the POC's workload, the POC-to-production projection.
 */
import type { ChartConfiguration } from 'chart.js';
import type { ProjectionSide, WaterfallStep, WorkloadEstimate, WorkloadProjection } from '../../estimator';
import { escapeHtml, selfContainedPage } from './self-contained';

/** The id of the page's data block (JSON). */
export const ESTIMATE_PAGE_DATA_ID = 'estimate-data';
/** The canvas ids of the charts. */
export const WATERFALL_CHART_ID = 'chart-waterfall';
export const PROJECTION_CHART_ID = 'chart-projection';

/** What the page is built from. */
export interface EstimatePageInput {
  readonly estimate: WorkloadEstimate;
  /** The workload file's name, as given. */
  readonly workloadFile: string;
  /** The price file, when not the catalog. */
  readonly pricesFile?: string;
  /** The POC-to-production projection, when the POC's workload was given. */
  readonly projection?: WorkloadProjection;
  readonly pocFile?: string;
  /** Chart.js' UMD build, as text. */
  readonly chartJs: string;
}

/** One bar of the waterfall: a floating bar from `start` to `end` (USD a month). */
export interface WaterfallBar {
  readonly label: string;
  readonly kind: 'total' | 'saving' | 'cost';
  /** The lever of a step bar. */
  readonly lever?: WaterfallStep['lever'];
  readonly start: number;
  readonly end: number;
}

const LEVER_LABEL: Readonly<Record<WaterfallStep['lever'], string>> = {
  routing: 'Routing',
  promptCaching: 'Prompt caching',
  responseCaching: 'Response cache',
  outputCap: 'Output cap',
  batch: 'Batch',
  serviceTier: 'Service tier',
};
const COLOR = { total: '#1f77b4', saving: '#2ca02c', cost: '#d62728', poc: '#ff7f0e' } as const;

/**
 * The waterfall's bars: the baseline, one step per configured lever (from the cost before it to the cost after
 * it; an unused lever saves nothing and has no bar), the optimized cost.
 */
export function waterfallBars(estimate: WorkloadEstimate): WaterfallBar[] {
  const bars: WaterfallBar[] = [{ label: `Baseline (${estimate.baseline.name})`, kind: 'total', start: 0, end: estimate.baseline.perMonthUsd }];
  let level = estimate.baseline.perMonthUsd;
  for (const step of estimate.waterfall) {
    if (!step.configured) continue;
    const after = level - step.savingUsd;
    bars.push({ label: LEVER_LABEL[step.lever], kind: step.savingUsd >= 0 ? 'saving' : 'cost', lever: step.lever, start: level, end: after });
    level = after;
  }
  bars.push({ label: 'Optimized', kind: 'total', start: 0, end: estimate.optimized.perMonthUsd });
  return bars;
}

function waterfallChart(bars: ReadonlyArray<WaterfallBar>): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: [{
        label: 'USD a month',
        data: bars.map((b) => [b.start, b.end]) as unknown as number[],
        backgroundColor: bars.map((b) => COLOR[b.kind]),
        borderWidth: 0,
      }],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, title: { display: true, text: 'USD a month' } }, x: { ticks: { autoSkip: false, maxRotation: 0 } } },
    },
  };
}

function projectionChart(p: WorkloadProjection): ChartConfiguration {
  const bars = [
    { label: 'POC', value: p.poc.perMonthUsd, color: COLOR.poc },
    { label: 'Production, no lever', value: p.production.baselinePerMonthUsd, color: COLOR.cost },
    { label: 'Production, as configured', value: p.production.perMonthUsd, color: COLOR.total },
  ];
  return {
    type: 'bar',
    data: { labels: bars.map((b) => b.label), datasets: [{ label: 'USD a month', data: bars.map((b) => b.value), backgroundColor: bars.map((b) => b.color), borderWidth: 0 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { type: 'logarithmic', title: { display: true, text: 'USD a month (log scale)' } } },
    },
  };
}

/** Builds the page's HTML. */
export function buildEstimatePage(input: EstimatePageInput): string {
  const { estimate: e, projection: p } = input;
  const bars = waterfallBars(e);
  const charts: Array<{ canvasId: string; chart: ChartConfiguration }> = [{ canvasId: WATERFALL_CHART_ID, chart: waterfallChart(bars) }];
  if (p) charts.push({ canvasId: PROJECTION_CHART_ID, chart: projectionChart(p) });
  const steps = bars.filter((b) => b.kind !== 'total');
  const rows = steps.map((b) => `<tr data-lever="${escapeHtml(b.lever ?? '')}"><th scope="row">${escapeHtml(b.label)}</th>`
    + `<td>${usd(b.start)}</td><td>${usd(b.end)}</td><td data-value="${b.start - b.end}">${usd(b.start - b.end)}</td></tr>`);
  const command = `genai-finops estimate ${input.workloadFile}${input.pricesFile ? ` --prices ${input.pricesFile}` : ''}${input.pocFile ? ` --poc ${input.pocFile}` : ''} --html FILE`;
  const body = `<header>
<h1>Cost estimate: ${escapeHtml(input.workloadFile)}</h1>
${e.description ? `<p>${escapeHtml(e.description)}</p>` : ''}
<p>${escapeHtml(`${Math.round(e.requestsPerMonth).toLocaleString('en-US')} requests a month; ${e.tokens.input.toLocaleString('en-US')} input + ${e.tokens.output.toLocaleString('en-US')} output tokens a request. Prices: ${input.pricesFile ? `price file ${input.pricesFile}` : 'the shipped catalog (Bedrock on-demand, us-east-1)'}.`)}</p>
<p class="command">${escapeHtml(command)}</p>
</header>
<main>
<section class="card">
<h2>From the baseline to the optimized cost, lever by lever</h2>
<p class="headline" data-baseline="${e.baseline.perMonthUsd}" data-optimized="${e.optimized.perMonthUsd}">${escapeHtml(`${usd(e.baseline.perMonthUsd)} a month all on ${e.baseline.name} without any lever; ${usd(e.optimized.perMonthUsd)} with every configured lever: ${pct(e.combined.savingFraction)} less.`)}</p>
<p>Each step adds one lever to the ones before it, in the order the estimator combines them (routing, prompt caching, response cache, output cap, batch, service tier), so each is what that lever saves on top of the previous ones and the steps add up to the whole saving. Alone against the baseline a lever saves more: the table of <code>genai-finops estimate</code> shows that.</p>
<div class="chart"><canvas id="${WATERFALL_CHART_ID}" role="img" aria-label="Waterfall from the baseline to the optimized monthly cost"></canvas></div>
<table>
<thead><tr><th scope="col">Lever</th><th scope="col">Before (a month)</th><th scope="col">After</th><th scope="col">Saving</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>
${p ? projectionSection(p, input.pocFile ?? 'the POC') : ''}
</main>
<footer><p>Estimated from the workload file's averages with the library's exact cost arithmetic; no AWS account was used. The library's own running cost (${escapeHtml(usd(e.library.monthlyUsd))} a month) is not in the chart.</p></footer>`;
  // The bars and the projection ride along for readers of the page; only `charts` is drawn.
  const data = { charts, waterfall: bars, ...(p ? { projection: p } : {}) };
  return selfContainedPage({
    title: `Cost estimate: ${input.workloadFile}`,
    style: STYLE,
    body,
    dataId: ESTIMATE_PAGE_DATA_ID,
    data,
    chartJs: input.chartJs,
  });
}

function projectionSection(p: WorkloadProjection, pocFile: string): string {
  const factor = (x: number | undefined) => (x === undefined ? '-' : `x${x.toLocaleString('en-US', { maximumFractionDigits: 1 })}`);
  return `<section class="card" id="projection">
<h2>From the POC to production</h2>
<p class="headline">${escapeHtml(`${usd(p.poc.perMonthUsd)} a month in the POC (${pocFile}), ${usd(p.production.perMonthUsd)} in production: ${factor(p.monthFactor)}, of which ${factor(p.volumeFactor)} is volume and ${factor(p.perRequestFactor)} the cost of each request.`)}</p>
<div class="chart"><canvas id="${PROJECTION_CHART_ID}" role="img" aria-label="Monthly cost of the POC and of production"></canvas></div>
<table>
<thead><tr><th scope="col"></th><th scope="col">Requests a month</th><th scope="col">Input tokens a request</th><th scope="col">Output tokens</th><th scope="col">Per request</th><th scope="col">A month</th></tr></thead>
<tbody>
${[sideRow('POC', p.poc), sideRow('Production', p.production)].join('\n')}
</tbody>
</table>
</section>`;
}

function sideRow(label: string, s: ProjectionSide): string {
  return `<tr><th scope="row">${label}</th><td>${Math.round(s.requestsPerMonth).toLocaleString('en-US')}</td><td>${s.inputTokens.toLocaleString('en-US')}</td>`
    + `<td>${s.outputTokens.toLocaleString('en-US')}</td><td>${usd(s.perRequestUsd)}</td><td>${usd(s.perMonthUsd)}</td></tr>`;
}

function usd(value: number): string {
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  return `${sign}$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: v >= 1 ? 2 : 6 })}`;
}
const pct = (fraction: number) => `${(Math.round(fraction * 1000) / 10).toFixed(1)} %`;

// Runs in the page: draws each chart from the data block; marks the document once every chart exists.
const STYLE = `
.card { background: #fff; border: 1px solid #d5dbdb; border-radius: 6px; padding: 12px 16px; margin: 16px 0; max-width: 1100px; }
.card h2 { font-size: 16px; margin: 0 0 4px; }
.card p { margin: 0 0 8px; color: #414750; }
.headline { font-weight: 600; color: #16191f !important; }
.chart { position: relative; height: 340px; margin: 8px 0; }
`;
