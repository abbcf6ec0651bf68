/**
 * The widgets of the demo's dashboard page: the CloudWatch dashboard's graphs, described as data (metric names
 * from the contract, the statistic, how series are split), so the page computes each one from the demo's EMF
 * records. One list, one shape: when the shared dashboard description (the CloudWatch dashboard's own widget list)
 * lands, map it to {@link WidgetSpec} here and the page follows it.
 */
import { METRIC, METRIC_PROPERTY, MetricDimension, MetricName } from '../../../lambda/contract';

/** How the values of one metric over a scenario's records become one number (CloudWatch's statistics). */
export type Statistic = 'Sum' | 'Average' | 'p50' | 'p99';

/** The unit of a widget's values, which is its y axis' title. */
export type WidgetUnit = 'Tokens' | 'USD' | 'Percent' | 'Milliseconds' | 'Requests';

/** A series of one metric's statistic. */
export interface MetricSeriesSpec {
  readonly type: 'metric';
  readonly label: string;
  readonly metric: MetricName;
  readonly stat: Statistic;
}

/**
 * A ratio in percent, as CloudWatch metric math writes it: 100 * SUM(numerator) / SUM(denominator); 0 when the
 * denominator is 0 (nothing was looked up).
 */
export interface RatioSeriesSpec {
  readonly type: 'ratio';
  readonly label: string;
  readonly numerator: ReadonlyArray<MetricName>;
  readonly denominator: ReadonlyArray<MetricName>;
}

/** One series of a widget. */
export type SeriesSpec = MetricSeriesSpec | RatioSeriesSpec;

/**
 * Splits a widget's only series into one series per value: of a dimension (a CloudWatch SEARCH by dimension), or
 * of an EMF property (a Logs Insights `stats ... by property`, as properties are not metric dimensions).
 */
export type SplitSpec = { readonly dimension: MetricDimension } | { readonly property: string };

/** A horizontal line across a widget: a target or a threshold (CloudWatch's horizontal annotation). */
export interface TargetSpec {
  readonly label: string;
  readonly value: number;
}

/** One widget of the page. */
export interface WidgetSpec {
  /** Stable id: the page's canvas is `chart-<id>`. */
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: what to look at. */
  readonly description: string;
  /** Bars side by side, or stacked into one bar per scenario. */
  readonly kind: 'bar' | 'stacked-bar';
  readonly unit: WidgetUnit;
  readonly series: ReadonlyArray<SeriesSpec>;
  readonly splitBy?: SplitSpec;
  readonly target?: TargetSpec;
}

/** The article's prompt-cache target: more than 90 % of the input tokens read from the cache. */
export const PROMPT_CACHE_TARGET_PERCENT = 90;

/** The response cache's hit rate: hits / lookups. */
export const RESPONSE_CACHE_HIT_RATE: RatioSeriesSpec = Object.freeze({
  type: 'ratio', label: 'Response cache hit rate', numerator: [METRIC.responseCacheHits], denominator: [METRIC.responseCacheHits, METRIC.responseCacheMisses],
});

/** The prompt cache's hit rate: tokens read from the cache / all input tokens (billed, read and written). */
export const PROMPT_CACHE_HIT_RATE: RatioSeriesSpec = Object.freeze({
  type: 'ratio', label: 'Prompt cache hit rate', numerator: [METRIC.cacheReadTokens], denominator: [METRIC.inputTokens, METRIC.cacheReadTokens, METRIC.cacheWriteTokens],
});

const sum = (label: string, metric: MetricName): MetricSeriesSpec => ({ type: 'metric', label, metric, stat: 'Sum' });

/** The widgets, in page order. */
export const DEMO_WIDGETS: ReadonlyArray<WidgetSpec> = Object.freeze([
  {
    id: 'tokens-by-kind',
    title: 'Tokens by kind',
    description: 'Input billed at the full rate, output, and prompt-cache reads (0.1x) and writes (1.25x).',
    kind: 'stacked-bar',
    unit: 'Tokens',
    series: [
      sum('Input', METRIC.inputTokens),
      sum('Output', METRIC.outputTokens),
      sum('Cache read', METRIC.cacheReadTokens),
      sum('Cache write', METRIC.cacheWriteTokens),
    ],
  },
  {
    id: 'cost-by-feature',
    title: 'Cost per feature',
    description: 'What each run cost, split by the Feature dimension (the cost-allocation tag of the workflow).',
    kind: 'stacked-bar',
    unit: 'USD',
    series: [sum('Cost', METRIC.costUsd)],
    splitBy: { dimension: 'Feature' },
  },
  {
    id: 'cost-by-model',
    title: 'Cost per model',
    description: 'The same cost split by the Model dimension: routing moves spend from Opus to Haiku and Sonnet.',
    kind: 'stacked-bar',
    unit: 'USD',
    series: [sum('Cost', METRIC.costUsd)],
    splitBy: { dimension: 'Model' },
  },
  {
    id: 'cache-hit-rates',
    title: 'Cache hit rates',
    description: 'Response cache: hits / lookups. Prompt cache: cache-read tokens / all input tokens, against the > 90 % target.',
    kind: 'bar',
    unit: 'Percent',
    series: [RESPONSE_CACHE_HIT_RATE, PROMPT_CACHE_HIT_RATE],
    target: { label: `Prompt cache target > ${PROMPT_CACHE_TARGET_PERCENT} %`, value: PROMPT_CACHE_TARGET_PERCENT },
  },
  {
    id: 'route-mix',
    title: 'Route mix by tier',
    description: 'Requests per routed tier (the EMF property route): without routing every request goes to one tier.',
    kind: 'stacked-bar',
    unit: 'Requests',
    series: [sum('Requests', METRIC.requests)],
    splitBy: { property: METRIC_PROPERTY.route },
  },
  {
    id: 'latency',
    title: 'Latency p50 / p99',
    description: 'Time in the pipeline per request. Locally the simulator answers at once, so this is the pipeline\'s own overhead; on AWS the model\'s time adds to it.',
    kind: 'bar',
    unit: 'Milliseconds',
    series: [
      { type: 'metric', label: 'p50', metric: METRIC.latencyMs, stat: 'p50' },
      { type: 'metric', label: 'p99', metric: METRIC.latencyMs, stat: 'p99' },
    ],
  },
] satisfies WidgetSpec[]);
