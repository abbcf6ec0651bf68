import type { Browser } from 'playwright-core';
import { chartJsSource } from '../../../reports/html/self-contained';

/**
 * A local stand-in for CloudWatch's rendering of a `MetricWidget`: the widget's title, its series' labels, its
 * annotations and its y-axis label drawn by Chart.js (the library the demo's dashboard page draws with) in headless
 * Chromium, over values the test gives, at the width and height the notifier asked for.
 */
export async function drawMetricWidget(browser: Browser, widget: any, hourlyValues: number[]): Promise<Buffer> {
  const labels = hourlyValues.map((_, i) => `${String((i + 24 - hourlyValues.length) % 24).padStart(2, '0')}:00`);
  const seriesLabels: string[] = (widget.metrics ?? [])
    .map((m: any[]) => m[m.length - 1])
    .filter((o: any) => o && typeof o === 'object' && (o.returnData ?? o.visible ?? true) !== false && o.label)
    .map((o: any) => o.label);
  const datasets = [
    ...seriesLabels.map((label, i) => ({ label, data: hourlyValues, borderColor: ['#1f77b4', '#ff7f0e'][i % 2], pointRadius: 0, borderWidth: 2 })),
    ...((widget.annotations?.horizontal ?? []) as any[]).map((a) => ({ label: a.label, data: hourlyValues.map(() => a.value), borderColor: '#d62728', borderDash: [6, 4], pointRadius: 0, borderWidth: 1 })),
  ];
  const config = {
    type: 'line',
    data: { labels, datasets },
    options: {
      animation: false, responsive: false,
      plugins: { title: { display: true, text: widget.title ?? '' }, legend: { position: 'bottom' } },
      scales: { y: { beginAtZero: true, title: { display: Boolean(widget.yAxis?.left?.label), text: widget.yAxis?.left?.label ?? '' } } },
    },
  };
  const html = `<!doctype html><html><body style="margin:0;background:#fff">
<canvas id="c" width="${widget.width}" height="${widget.height}"></canvas>
<script>${chartJsSource()}</script>
<script>new Chart(document.getElementById('c'), ${JSON.stringify(config)});</script></body></html>`;
  const page = await browser.newPage({ viewport: { width: widget.width, height: widget.height } });
  try {
    await page.setContent(html);
    return await page.locator('#c').screenshot({ type: 'png' });
  } finally {
    await page.close();
  }
}
