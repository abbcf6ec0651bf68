/**
 * From EMF records to numbers: each widget's series per scenario, computed the way CloudWatch would (Sum,
 * Maximum, percentiles, metric-math ratios, SEARCH-like splits by dimension, Logs Insights counts by property), and
 * each scenario's totals for the page's summary table.
 */
import { METRIC, MetricName, MODEL_TIERS } from '../../../../../shared/contract';
import { PROMPT_CACHE_HIT_RATIO, RatioSpec, RESPONSE_CACHE_HIT_RATIO } from '../../../../../lib/observability/dashboard-spec';
import { attoToUsd, usdToAtto } from '../../../../../shared/core';
import type { EmfRecord } from './emf';
import { SeriesSpec, SplitSpec, Statistic, WidgetSpec } from './widgets';

/** A scenario as the page shows it. */
export interface ScenarioRef {
  readonly id: string;
  readonly label: string;
}

/** One series of a widget: a value per scenario, in scenario order. */
export interface SeriesValues {
  readonly label: string;
  /** The split value (a model id, a tier, an error code) when the series is one part of a split. */
  readonly key?: string;
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
export function statistic(records: ReadonlyArray<EmfRecord>, metric: MetricName, stat: Exclude<Statistic, 'Count'>): number {
  switch (stat) {
    case 'Sum':
      return sumOf(records, metric);
    case 'Maximum': {
      const values = valuesOf(records, metric);
      return values.length === 0 ? 0 : Math.max(...values);
    }
    case 'p50':
      return percentile(valuesOf(records, metric), 50);
    case 'p99':
      return percentile(valuesOf(records, metric), 99);
  }
}

/** 100 * SUM(numerator) / SUM(denominator), 0 when the denominator is 0. */
export function ratioPercent(records: ReadonlyArray<EmfRecord>, ratio: RatioSpec): number {
  const total = (metrics: ReadonlyArray<MetricName>) => metrics.reduce((n, m) => n + sumOf(records, m), 0);
  const den = total(ratio.denominator);
  return den === 0 ? 0 : (100 * total(ratio.numerator)) / den;
}

function seriesValue(records: ReadonlyArray<EmfRecord>, series: SeriesSpec): number {
  if (series.stat === 'Count') return records.length;
  if (series.ratio) return ratioPercent(records, series.ratio);
  return statistic(records, series.metric!, series.stat);
}

/** The records a series reads: its workflow's (`where`). */
function recordsFor(records: ReadonlyArray<EmfRecord>, series: SeriesSpec): ReadonlyArray<EmfRecord> {
  const where = Object.entries(series.where ?? {});
  return where.length === 0 ? records : records.filter((r) => where.every(([name, value]) => r.dimensions[name] === value));
}

/**
 * The label a record has for a split: its dimension's value ('(none)' without one, as SEARCH would not find it but
 * the total must still add up), or its property's (undefined without one: Logs Insights filters on `ispresent`).
 */
function splitKey(record: EmfRecord, split: SplitSpec): string | undefined {
  if ('dimension' in split) return record.dimensions[split.dimension] || '(none)';
  const value = record.properties[split.property];
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

// Tiers in routing order (simple, medium, complex); anything else alphabetically after them.
function compareKeys(a: string, b: string): number {
  const rank = (k: string) => {
    const i = (MODEL_TIERS as ReadonlyArray<string>).indexOf(k);
    return i < 0 ? MODEL_TIERS.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** A series' values per scenario: one series, or one per value of its split (labelled with the value). */
function seriesValues(series: SeriesSpec, many: boolean, scenarios: ReadonlyArray<ScenarioRef>, recordsOf: (scenarioId: string) => ReadonlyArray<EmfRecord>): SeriesValues[] {
  const of = (id: string) => recordsFor(recordsOf(id), series);
  const split = series.splitBy;
  if (!split) return [{ label: series.label, values: scenarios.map((sc) => seriesValue(of(sc.id), series)) }];
  const keys = [...new Set(scenarios.flatMap((sc) => of(sc.id).map((r) => splitKey(r, split)).filter((k): k is string => k !== undefined)))].sort(compareKeys);
  return keys.map((key) => ({
    label: many ? `${series.label} ${key}` : key,
    key,
    values: scenarios.map((sc) => seriesValue(of(sc.id).filter((r) => splitKey(r, split) === key), series)),
  }));
}

/** A widget's series for each scenario, from each scenario's records. */
export function widgetValues(widget: WidgetSpec, scenarios: ReadonlyArray<ScenarioRef>, recordsOf: (scenarioId: string) => ReadonlyArray<EmfRecord>): WidgetValues {
  return { widget, series: widget.series.flatMap((s) => seriesValues(s, widget.series.length > 1, scenarios, recordsOf)) };
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
    responseCacheHitPercent: ratioPercent(records, RESPONSE_CACHE_HIT_RATIO),
    promptCacheHitPercent: ratioPercent(records, PROMPT_CACHE_HIT_RATIO),
  };
}
