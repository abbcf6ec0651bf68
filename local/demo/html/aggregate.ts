/**
 * From EMF records to numbers: each widget's series per scenario, computed the way CloudWatch would (Sum,
 * Average, percentiles, metric-math ratios, SEARCH-like splits by dimension or property), and each scenario's
 * totals for the page's summary table.
 */
import { METRIC, MODEL_TIERS, MetricName } from '../../../lambda/contract';
import { attoToUsd, usdToAtto } from '../../../lambda/core';
import type { EmfRecord } from './emf';
import { PROMPT_CACHE_HIT_RATE, RatioSeriesSpec, RESPONSE_CACHE_HIT_RATE, SeriesSpec, SplitSpec, Statistic, WidgetSpec } from './widgets';

/** A scenario as the page shows it. */
export interface ScenarioRef {
  readonly id: string;
  readonly label: string;
}

/** One series of a widget: a value per scenario, in scenario order. */
export interface SeriesValues {
  readonly label: string;
  readonly values: ReadonlyArray<number>;
}

/** A widget's numbers. */
export interface WidgetValues {
  readonly widget: WidgetSpec;
  readonly series: ReadonlyArray<SeriesValues>;
}

/** What a scenario's records add up to. */
export interface ScenarioTotals {
  readonly scenario: ScenarioRef;
  readonly records: number;
  readonly requests: number;
  readonly modelCalls: number;
  readonly costUsd: number;
  readonly savedUsd: number;
  /** Percent of response-cache lookups that hit (0 without lookups). */
  readonly responseCacheHitPercent: number;
  /** Percent of input tokens read from the prompt cache. */
  readonly promptCacheHitPercent: number;
}

// Money is added in exact integer attodollars, as the pipeline prices it, so that totals match the report's.
const USD_METRICS: ReadonlySet<string> = new Set([METRIC.costUsd, METRIC.savedUsd]);

/** The values of `metric` over `records`. */
function valuesOf(records: ReadonlyArray<EmfRecord>, metric: MetricName): number[] {
  return records.flatMap((r) => r.metrics[metric] ?? []);
}

/** SUM of a metric over the records (exact for money). */
export function sumOf(records: ReadonlyArray<EmfRecord>, metric: MetricName): number {
  const values = valuesOf(records, metric);
  if (USD_METRICS.has(metric)) return attoToUsd(values.reduce((total, v) => total + usdToAtto(v), 0n));
  return values.reduce((total, v) => total + v, 0);
}

/** The nearest-rank percentile `p` (0 to 100) of `values`; 0 for no values. */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** A statistic of a metric over the records. */
export function statistic(records: ReadonlyArray<EmfRecord>, metric: MetricName, stat: Statistic): number {
  switch (stat) {
    case 'Sum':
      return sumOf(records, metric);
    case 'Average': {
      const values = valuesOf(records, metric);
      return values.length === 0 ? 0 : sumOf(records, metric) / values.length;
    }
    case 'p50':
      return percentile(valuesOf(records, metric), 50);
    case 'p99':
      return percentile(valuesOf(records, metric), 99);
  }
}

/** 100 * SUM(numerator) / SUM(denominator), 0 when the denominator is 0. */
export function ratioPercent(records: ReadonlyArray<EmfRecord>, ratio: Pick<RatioSeriesSpec, 'numerator' | 'denominator'>): number {
  const total = (metrics: ReadonlyArray<MetricName>) => metrics.reduce((n, m) => n + sumOf(records, m), 0);
  const den = total(ratio.denominator);
  return den === 0 ? 0 : (100 * total(ratio.numerator)) / den;
}

function seriesValue(records: ReadonlyArray<EmfRecord>, series: SeriesSpec): number {
  return series.type === 'metric' ? statistic(records, series.metric, series.stat) : ratioPercent(records, series);
}

/** The label a record has for a split: its dimension's or property's value. */
function splitKey(record: EmfRecord, split: SplitSpec): string {
  const value = 'dimension' in split ? record.dimensions[split.dimension] : record.properties[split.property];
  return value === undefined || value === null || value === '' ? '(none)' : String(value);
}

// Tiers in routing order (simple, medium, complex); anything else alphabetically after them.
function compareKeys(a: string, b: string): number {
  const rank = (k: string) => {
    const i = (MODEL_TIERS as ReadonlyArray<string>).indexOf(k);
    return i < 0 ? MODEL_TIERS.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** A widget's series for each scenario, from each scenario's records. */
export function widgetValues(widget: WidgetSpec, scenarios: ReadonlyArray<ScenarioRef>, recordsOf: (scenarioId: string) => ReadonlyArray<EmfRecord>): WidgetValues {
  const split = widget.splitBy;
  if (!split) {
    return { widget, series: widget.series.map((s) => ({ label: s.label, values: scenarios.map((sc) => seriesValue(recordsOf(sc.id), s)) })) };
  }
  if (widget.series.length !== 1) throw new Error(`widget '${widget.id}' splits its series, so it must have exactly one, not ${widget.series.length}`);
  const keys = [...new Set(scenarios.flatMap((sc) => recordsOf(sc.id).map((r) => splitKey(r, split))))].sort(compareKeys);
  return {
    widget,
    series: keys.map((key) => ({
      label: key,
      values: scenarios.map((sc) => seriesValue(recordsOf(sc.id).filter((r) => splitKey(r, split) === key), widget.series[0])),
    })),
  };
}

/** A scenario's totals, from its records. */
export function scenarioTotals(scenario: ScenarioRef, records: ReadonlyArray<EmfRecord>): ScenarioTotals {
  return {
    scenario,
    records: records.length,
    requests: sumOf(records, METRIC.requests),
    modelCalls: sumOf(records, METRIC.attempts),
    costUsd: sumOf(records, METRIC.costUsd),
    savedUsd: sumOf(records, METRIC.savedUsd),
    responseCacheHitPercent: ratioPercent(records, RESPONSE_CACHE_HIT_RATE),
    promptCacheHitPercent: ratioPercent(records, PROMPT_CACHE_HIT_RATE),
  };
}
