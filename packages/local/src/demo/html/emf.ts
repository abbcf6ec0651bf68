/**
 * Reading the handler's EMF records (CloudWatch Embedded Metric Format, as Powertools Metrics writes them): the
 * metrics each record declares, their values, its dimensions and its other properties.
 */
import { METRIC_DIMENSIONS, METRIC_NAMESPACE } from '../../../../../shared/contract';

/** One EMF record of the pipeline's namespace. */
export interface EmfRecord {
  /** Values of each metric the record declares (EMF allows an array of values per metric). */
  readonly metrics: Readonly<Record<string, ReadonlyArray<number>>>;
  /** Values of the record's dimensions (Application, Feature, Model). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Every other top-level member: EMF properties such as `route` or `tenantId`. */
  readonly properties: Readonly<Record<string, unknown>>;
}

interface EmfDirective {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/**
 * Parses one EMF line. Returns `undefined` for a record of another namespace; throws for a line that is not an
 * EMF record, or whose declared metrics carry no numeric value (a page built from it would show wrong numbers).
 */
export function parseEmfRecord(line: string): EmfRecord | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`not an EMF record (not JSON): ${line.slice(0, 120)}`);
  }
  const aws = json?._aws as { CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) throw new Error(`not an EMF record (no _aws.CloudWatchMetrics): ${line.slice(0, 120)}`);
  const directives = (aws.CloudWatchMetrics as EmfDirective[]).filter((d) => d?.Namespace === METRIC_NAMESPACE);
  if (directives.length === 0) return undefined;

  const metrics: Record<string, number[]> = {};
  const dimensionNames = new Set<string>();
  for (const directive of directives) {
    for (const metric of Array.isArray(directive.Metrics) ? directive.Metrics as Array<{ Name?: unknown }> : []) {
      const name = metric?.Name;
      if (typeof name !== 'string') continue;
      const raw = json[name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (values.length === 0) throw new Error(`EMF record declares metric ${name} without a numeric value: ${line.slice(0, 120)}`);
      metrics[name] = values;
    }
    for (const set of Array.isArray(directive.Dimensions) ? directive.Dimensions as unknown[] : []) {
      for (const name of Array.isArray(set) ? set : []) if (typeof name === 'string') dimensionNames.add(name);
    }
  }
  const dimensions: Record<string, string> = {};
  for (const name of new Set([...METRIC_DIMENSIONS, ...dimensionNames])) {
    if (typeof json[name] === 'string') dimensions[name] = json[name] as string;
  }
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key !== '_aws' && !(key in metrics) && !(key in dimensions)) properties[key] = value;
  }
  return { metrics, dimensions, properties };
}

/** Collects the EMF records of each demo scenario, in the order the scenarios ran. */
export class EmfRecordsByScenario {
  private readonly records = new Map<string, EmfRecord[]>();

  /** Adds one EMF line written while `scenarioId` ran (for `runDemo({ onMetricRecord })`). */
  readonly add = (scenarioId: string, line: string): void => {
    const record = parseEmfRecord(line);
    if (!record) return;
    const list = this.records.get(scenarioId) ?? [];
    list.push(record);
    this.records.set(scenarioId, list);
  };

  /** The records of a scenario (empty if it wrote none). */
  of(scenarioId: string): ReadonlyArray<EmfRecord> {
    return this.records.get(scenarioId) ?? [];
  }

  /** Records over every scenario. */
  get size(): number {
    let n = 0;
    for (const list of this.records.values()) n += list.length;
    return n;
  }
}
