/**
 * What every self-contained report page shares (the demo's dashboard, the estimator's report): a Content Security
 * Policy that allows no request, Chart.js inlined from the installed package, data in a JSON block, and the escaping
 * that makes text, JSON and scripts safe inside HTML.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The pages' Content Security Policy: no network of any kind (no fetch, no fonts, no images but data: URLs),
 * inline scripts and styles only. Any attempt to load something would be blocked and logged.
 */
export const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** The path of Chart.js' UMD build (it defines `window.Chart`; the package's `main` is the CommonJS build). */
export function chartJsUmdPath(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

/** Chart.js' UMD build, as text. */
export function chartJsSource(): string {
  const file = chartJsUmdPath();
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read Chart.js from ${file} (${(error as Error).message}); run 'npm ci' in the repository`, { cause: error });
  }
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that can sit in a <script> element: no `<` that could close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * A script's source made safe to inline: without its source-map comment (the map is not inlined, and a page that
 * loads nothing should not point at files) and with no `</script` that would end the element early.
 */
export function scriptSafe(source: string): string {
  return source.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/<\/script/gi, '<\\/script');
}

/** The look both pages share (page, header, tables, footer); each page adds its own rules. */
const BASE_STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; background: #f4f5f7; color: #16191f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 14px; line-height: 1.45; }
header h1 { font-size: 22px; margin: 0 0 6px; }
header p { margin: 0 0 6px; max-width: 1100px; color: #414750; }
.command { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; color: #16191f; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaeded; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { font-weight: 600; color: #414750; border-bottom: 2px solid #d5dbdb; }
footer { margin-top: 16px; color: #687078; font-size: 12px; }
`;

/** What {@link selfContainedPage} is built from. */
export interface SelfContainedPageInput {
  readonly title: string;
  /** The page's own CSS, after the shared base. */
  readonly style: string;
  /** The body's HTML before the scripts. */
  readonly body: string;
  /** The data block's element id and content: `charts` is drawn, the rest is there for readers of the page. */
  readonly dataId: string;
  readonly data: { readonly charts: ReadonlyArray<PageChart> };
  /** Chart.js' UMD build, as text. */
  readonly chartJs: string;
}

/** One chart of a page: the id of its canvas and its Chart.js configuration. */
export interface PageChart {
  readonly canvasId: string;
  readonly chart: unknown;
}

/**
 * Draws every chart of the data block on its canvas, in the page's font, then marks the document
 * (`data-charts-drawn`) so that a browser test or a screenshot knows the page is ready.
 */
function drawChartsScript(dataId: string): string {
  return `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById(${JSON.stringify(dataId)}).textContent);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#333';
  data.charts.forEach(function (c) { new Chart(document.getElementById(c.canvasId), c.chart); });
  document.documentElement.setAttribute('data-charts-drawn', String(data.charts.length));
})();
`;
}

/** A whole HTML document that loads nothing: the CSP, the inlined data, Chart.js and the page's script. */
export function selfContainedPage(input: SelfContainedPageInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(PAGE_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
<style>${BASE_STYLE}${input.style}</style>
</head>
<body>
${input.body}
<script type="application/json" id="${escapeHtml(input.dataId)}">${jsonForScript(input.data)}</script>
<script>${scriptSafe(input.chartJs)}</script>
<script>${drawChartsScript(input.dataId)}</script>
</body>
</html>
`;
}
