import { GetMetricWidgetImageCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { AlertChartSeries, AlertChartSpec } from '../../shared/contract';
import { Alert } from './alert';

/** The picture's size in pixels: wide enough for a chat message, small enough to load fast. */
export const CHART_WIDTH = 600;
export const CHART_HEIGHT = 300;

/** The dependencies of {@link chartOf}. */
export interface ChartDependencies {
  readonly cloudwatch: CloudWatchClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly expirySeconds: number;
  readonly range: string;
  readonly region: string;
}

/**
 * The `MetricWidget` of the alert: its workflow's series alone when the chart has it, else every series and the
 * total (the dashboard's widget). Each series is one `SEARCH` over the metric by Application, Feature and Model,
 * summed: the dashboard's numbers (it adds up one metric per model), counting a model a typed list would miss.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Metric-Widget-Structure.html
 */
export function metricWidgetOf(alert: Alert, chart: AlertChartSpec, region: string): Record<string, unknown> {
  const own = chart.series.filter((s) => s.feature === alert.feature && (alert.application === undefined || s.application === alert.application));
  const shown: Array<{ label: string; of: AlertChartSeries[] }> = own.length > 0
    ? own.map((s) => ({ label: s.label, of: [s] }))
    : [...chart.series.map((s) => ({ label: s.label, of: [s] })), ...(chart.totalLabel ? [{ label: chart.totalLabel, of: chart.series }] : [])];
  return {
    title: chart.title,
    view: 'timeSeries',
    stacked: false,
    region,
    period: chart.periodSeconds,
    metrics: shown.map((series, i) => [{ expression: searchOf(chart, series.of), label: series.label, id: `s${i}` }]),
    yAxis: { left: { label: chart.unit, min: 0, showUnits: false } },
  };
}

function searchOf(chart: AlertChartSpec, of: AlertChartSeries[]): string {
  const quote = (v: string) => `"${v.replace(/["\\']/g, '')}"`;
  const terms = of.map((s) => `(Application=${quote(s.application)} AND Feature=${quote(s.feature)})`);
  const filter = terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
  return `SUM(SEARCH('{${chart.namespace},Application,Feature,Model} MetricName=${quote(chart.metricName)} ${filter}', '${chart.stat}', ${chart.periodSeconds}))`;
}

/**
 * The cost trend as a PNG, drawn by CloudWatch from the dashboard's own widget (`GetMetricWidgetImage`), written to
 * the image bucket and handed out as a presigned URL. Why a URL: an incoming webhook cannot upload a file (Slack's
 * image block and Teams' Image element both fetch a URL), and the bucket stays private: the link works for
 * `expirySeconds` (and no longer than the function's session credentials that sign it).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricWidgetImage.html
 */
export async function chartOf(alert: Alert, chart: AlertChartSpec, deps: ChartDependencies, now: number, abortSignal?: AbortSignal): Promise<{ url: string; expiresAt: string; title: string }> {
  const widget: Record<string, unknown> = { ...metricWidgetOf(alert, chart, deps.region), start: `-${deps.range}`, width: CHART_WIDTH, height: CHART_HEIGHT };
  const image = await deps.cloudwatch.send(new GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify(widget), OutputFormat: 'png' }), { abortSignal });
  if (!image.MetricWidgetImage || image.MetricWidgetImage.length === 0) throw new Error('GetMetricWidgetImage returned no image');
  const key = `charts/${createHash('sha256').update(alert.deliveryKey).digest('hex').slice(0, 40)}.png`;
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: image.MetricWidgetImage, ContentType: 'image/png' }), { abortSignal });
  const url = await getSignedUrl(deps.s3, new GetObjectCommand({ Bucket: deps.bucket, Key: key }), { expiresIn: deps.expirySeconds, signingDate: new Date(now) });
  const title = typeof widget.title === 'string' ? `${widget.title}, last ${deps.range.replace(/^P(T?)/, '').toLowerCase()}` : 'Cost trend';
  return { url, expiresAt: new Date(now + deps.expirySeconds * 1000).toISOString(), title };
}
