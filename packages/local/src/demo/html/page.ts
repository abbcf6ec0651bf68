/**
 * The demo's dashboard page: one self-contained HTML file (Chart.js and the data inlined, a Content Security
 * Policy that allows no request at all) with the CloudWatch dashboard's widgets, computed from the EMF records the
 * bundled handler wrote in each scenario.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { GUARDRAIL_RUNS } from '../guardrails';
import type { DemoReport } from '../run-demo';
import { ScenarioRef, ScenarioTotals, scenarioTotals, WidgetValues, widgetValues } from './aggregate';
import type { EmfRecord } from './emf';
import { escapeHtml, PAGE_CSP, selfContainedPage } from '../../../../../reports/html/self-contained';
import { PageSection, pageSections, WidgetSpec } from './widgets';

export { PAGE_CSP };

/** The id of the page's data block (JSON). */
export const PAGE_DATA_ID = 'dashboard-data';

/** What the page's data block holds. */
export interface PageData {
  readonly requests: number;
  readonly seed: number | string;
  /** The charts' bar groups: the lever scenarios, then the guardrail runs. */
  readonly scenarios: ReadonlyArray<ScenarioRef>;
  /** The lever scenarios' totals (the summary table). */
  readonly totals: ReadonlyArray<ScenarioTotals>;
  readonly charts: ReadonlyArray<{ readonly canvasId: string; readonly chart: ChartConfiguration }>;
}

/** What the page is built from. */
export interface DashboardPageInput {
  readonly report: DemoReport;
  /** The EMF records a scenario's run wrote. */
  readonly recordsOf: (scenarioId: string) => ReadonlyArray<EmfRecord>;
  /** Chart.js' UMD build, as text. */
  readonly chartJs: string;
  /** The dashboard's rows to draw. @default the CloudWatch dashboard's, for the demo's workflow (`pageSections()`) */
  readonly sections?: ReadonlyArray<PageSection>;
}

// Tableau 10: distinct, readable on white, and the order CloudWatch-like graphs use for their first series.
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const TARGET_COLOR = '#d62728';

/** Builds the page's HTML. */
export function buildDashboardPage(input: DashboardPageInput): string {
  const { report } = input;
  const levers: ScenarioRef[] = report.runs.map((r) => ({ id: r.scenario.id, label: r.scenario.label }));
  // The guardrail runs are drawn beside the lever runs: their 429s and 503s are what the rejection widgets are for.
  const scenarios: ScenarioRef[] = [...levers, ...(report.guardrails ? [GUARDRAIL_RUNS.quota, GUARDRAIL_RUNS.breaker] : [])];
  const totals = levers.map((s) => scenarioTotals(s, input.recordsOf(s.id)));
  const sections = input.sections ?? pageSections();
  const values = sections.flatMap((section) => section.widgets).map((w) => widgetValues(w, scenarios, input.recordsOf));
  const data: PageData = {
    requests: report.requests,
    seed: report.seed,
    scenarios,
    totals,
    charts: values.map((v) => ({ canvasId: `chart-${v.widget.id}`, chart: chartConfig(v, scenarios) })),
  };
  const records = scenarios.reduce((n, s) => n + input.recordsOf(s.id).length, 0);
  return selfContainedPage({
    title: 'GenAI FinOps demo: what the CloudWatch dashboard will show',
    style: STYLE,
    body: `<header>
<h1>GenAI FinOps demo: what the CloudWatch dashboard will show</h1>
<p>${escapeHtml(`${report.requests} requests (seed ${report.seed}) of a multi-tenant customer-support chat, replayed through the bundled API handler `
  + 'against the Bedrock simulator and DynamoDB Local, once per scenario from empty caches; then the guardrail runs: a runaway tenant\'s '
  + 'burst against its quota (refused with 429) and a circuit breaker tripped by spend alarms (paused with 503). Every number below is computed from the '
  + `${records} EMF records the handler wrote (namespace GenAI/FinOps), the records CloudWatch turns into the dashboard's metrics.`)}</p>
<p class="command">${escapeHtml(`npx genai-finops demo --requests ${report.requests} --seed ${report.seed} --html FILE`)}</p>
</header>
<main>
${summarySection(totals, report)}
${sections.map(sectionHtml).join('\n')}
</main>
<footer><p>Costs are the pipeline's own price of each call (the library's model catalog); no AWS account was used. On AWS the dashboard shows the same metrics over time, per Application, Feature and Model.</p></footer>`,
    dataId: PAGE_DATA_ID,
    data,
    chartJs: input.chartJs,
  });
}

function summarySection(totals: ReadonlyArray<ScenarioTotals>, report: DemoReport): string {
  const naive = totals[0];
  const optimized = totals.find((t) => t.scenario.id === 'optimized') ?? totals[totals.length - 1];
  const ratio = naive.costUsd > 0 ? optimized.costUsd / naive.costUsd : 0;
  const met = ratio <= report.targetRatio;
  const rows = totals.map((t) => {
    const saving = t === naive || naive.costUsd === 0 ? '-' : `${((1 - t.costUsd / naive.costUsd) * 100).toFixed(1)} %`;
    return `<tr data-scenario="${escapeHtml(t.scenario.id)}">`
      + `<th scope="row">${escapeHtml(t.scenario.label)}</th>`
      + cell('requests', t.requests, t.requests.toLocaleString('en-US'))
      + cell('modelCalls', t.modelCalls, t.modelCalls.toLocaleString('en-US'))
      + cell('costUsd', t.costUsd, `$${t.costUsd.toFixed(4)}`)
      + `<td>${saving}</td>`
      + cell('promptCacheHitPercent', t.promptCacheHitPercent, `${t.promptCacheHitPercent.toFixed(1)} %`)
      + cell('responseCacheHitPercent', t.responseCacheHitPercent, `${t.responseCacheHitPercent.toFixed(1)} %`)
      + '</tr>';
  });
  return `<section class="summary">
<p class="headline" data-ratio="${ratio}">${escapeHtml(`${optimized.scenario.label}: $${optimized.costUsd.toFixed(4)} against $${naive.costUsd.toFixed(4)} naive, `
    + `${(ratio * 100).toFixed(1)} % of the naive cost (target at most ${(report.targetRatio * 100).toFixed(0)} %: ${met ? 'met' : 'not met'}).`)}</p>
<table>
<thead><tr><th scope="col">Scenario</th><th scope="col">Requests</th><th scope="col">Model calls</th><th scope="col">Cost (USD)</th><th scope="col">Saving vs naive</th><th scope="col">Prompt cache hit rate</th><th scope="col">Response cache hit rate</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function cell(field: string, value: number, text: string): string {
  return `<td data-field="${field}" data-value="${value}">${escapeHtml(text)}</td>`;
}

/** A row of the CloudWatch dashboard: its header, its widgets, and the ones that need AWS to show anything. */
function sectionHtml(section: PageSection): string {
  const missing = section.notEmulated.length === 0 ? '' : `<p class="not-emulated">${escapeHtml(`Not drawn here: ${section.notEmulated.map((n) => `${n.title} (${n.reason})`).join('; ')}.`)}</p>`;
  return `<section class="row" id="row-${escapeHtml(section.id)}">
<h2>${escapeHtml(section.title)}</h2>
<p>${escapeHtml(section.text)}</p>
${section.widgets.length === 0 ? '' : `<div class="grid">\n${section.widgets.map(widgetCard).join('\n')}\n</div>`}
${missing}
</section>`;
}

function widgetCard(widget: WidgetSpec): string {
  return `<article class="card" id="widget-${escapeHtml(widget.id)}">
<h3>${escapeHtml(widget.title)}</h3>
<div class="chart"><canvas id="chart-${escapeHtml(widget.id)}" role="img" aria-label="${escapeHtml(widget.title)}"></canvas></div>
<p class="metrics">${escapeHtml(widget.source)}</p>
</article>`;
}

/** The Chart.js configuration of a widget: one bar group per scenario. */
export function chartConfig(values: WidgetValues, scenarios: ReadonlyArray<ScenarioRef>): ChartConfiguration {
  const { widget } = values;
  const stacked = widget.kind === 'stacked-bar';
  const datasets: Array<ChartDataset<'bar' | 'line', number[]>> = values.series.map((s, i) => ({
    type: 'bar' as const,
    label: s.key && MODEL_ID.test(s.key) ? s.label.replace(s.key, shortModelName(s.key)) : s.label,
    data: s.values.map(round),
    backgroundColor: PALETTE[i % PALETTE.length],
    borderWidth: 0,
  }));
  for (const target of widget.targets) {
    datasets.push({
      type: 'line' as const,
      label: target.label,
      data: scenarios.map(() => target.value),
      borderColor: TARGET_COLOR,
      // Transparent, so that its legend entry is a dashed outline like the line.
      backgroundColor: 'rgba(0, 0, 0, 0)',
      borderDash: [6, 4],
      borderWidth: 2,
      pointRadius: 0,
      fill: false,
    });
  }
  // Eight groups (the lever runs and the guardrail runs) leave ~60 px each on a half-width card: shorter lines.
  const crowded = scenarios.length > 6;
  return {
    type: 'bar',
    data: { labels: scenarios.map((s) => wrapLabel(s.label, crowded ? 10 : 12)), datasets: datasets as ChartConfiguration['data']['datasets'] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: { stacked, ticks: { autoSkip: false, maxRotation: 0, font: { size: crowded ? 10 : 11 } } },
        y: {
          stacked,
          beginAtZero: true,
          ...(widget.min !== undefined ? { min: widget.min } : {}),
          ...(widget.max !== undefined ? { max: widget.max } : {}),
          title: { display: true, text: widget.unit },
        },
      },
    },
  };
}

// Chart values: money to a millionth of a dollar, the rest to 1/100; what the tooltip shows.
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

// A Model dimension's value: a base model id such as `anthropic.claude-haiku-4-5-20251001-v1:0`.
const MODEL_ID = /^[a-z0-9-]+\.[a-z]/;

/** `anthropic.claude-haiku-4-5-20251001-v1:0` → `claude-haiku-4-5`. */
export function shortModelName(modelId: string): string {
  return modelId.replace(/^[a-z]+\./, '').replace(/-\d{8}-v\d+:\d+$/, '').replace(/-v\d+:\d+$/, '');
}

/**
 * A scenario label as lines of at most `width` characters (an axis has ~75 px per scenario): the qualifier in
 * parentheses starts a line of its own, and a long word breaks after a slash (`Haiku/Sonnet/Opus`).
 */
export function wrapLabel(label: string, width = 12): string[] {
  const open = label.indexOf(' (');
  const parts = open > 0 ? [label.slice(0, open), label.slice(open + 1)] : [label];
  const lines: string[] = [];
  for (const part of parts) {
    const words = part.split(' ').flatMap((w) => (w.length > width ? w.split(/(?<=\/)/) : [w]));
    let line = '';
    for (const word of words) {
      const joined = line === '' ? word : line.endsWith('/') ? `${line}${word}` : `${line} ${word}`;
      if (line !== '' && joined.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = joined;
      }
    }
    if (line) lines.push(line);
  }
  return lines;
}


// Runs in the page: draws each widget from the data block; marks the document once every chart exists.
const STYLE = `
.summary { background: #fff; border: 1px solid #d5dbdb; border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
.headline { font-weight: 600; margin: 0 0 8px; }
tbody th { font-weight: 500; }
.row { margin: 24px 0 0; }
.row > h2 { font-size: 18px; margin: 0 0 2px; }
.row > p { margin: 0 0 10px; color: #414750; }
.row > p.not-emulated { margin: 10px 0 0; font-size: 12px; color: #687078; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #d5dbdb; border-radius: 6px; padding: 12px 16px; }
.card h3 { font-size: 15px; margin: 0 0 6px; }
.card p.metrics { margin: 8px 0 0; font-size: 12px; color: #687078; }
.chart { position: relative; height: 300px; }
`;
