/**
 * The judgement over the reconciliation query's rows (`lib/cost-reporting/queries/reconciliation.ts`): which
 * features drift past the threshold, how much Bedrock spend bypassed the meter, and the figures the metrics carry.
 * Pure: the function, the command and the tests share it.
 */

/** One row of the reconciliation query, as either engine returns it. */
export interface ReconciliationRow {
  readonly kind: 'feature' | 'unmetered';
  readonly application: string | null;
  readonly feature: string | null;
  /** The `Model` tag's value (the meter's model mapped to it); null on the unmetered row. */
  readonly model: string | null;
  readonly meteredUsd: number;
  readonly billedUsd: number;
}

/** One model's share of a feature's comparison (for finding which model drifts; the alarm judges the feature). */
export interface ModelDrift {
  readonly model: string;
  readonly meteredUsd: number;
  readonly billedUsd: number;
  readonly driftUsd: number;
}

/** One feature's comparison. */
export interface FeatureDrift {
  readonly application: string;
  readonly feature: string;
  readonly meteredUsd: number;
  readonly billedUsd: number;
  /** metered − billed. */
  readonly driftUsd: number;
  /** (metered − billed) / billed × 100; 100 when something was metered and nothing billed; 0 when neither. */
  readonly driftPercent: number;
  /** False when both sides are under the minimum: too small to judge. */
  readonly judged: boolean;
  /** Judged and |driftPercent| above the threshold. */
  readonly overThreshold: boolean;
  /** The same per model, by the `Model` tag. */
  readonly models: ReadonlyArray<ModelDrift>;
}

/** The day's reconciliation. */
export interface ReconciliationReport {
  readonly day: string;
  readonly thresholdPercent: number;
  readonly minimumUsd: number;
  readonly features: ReadonlyArray<FeatureDrift>;
  readonly meteredUsd: number;
  /** Bedrock usage billed that day, metered features and unmetered spend together. */
  readonly billedUsd: number;
  readonly unmeteredUsd: number;
  /** Unmetered spend as a percentage of the day's Bedrock bill (0 when nothing was billed). */
  readonly unmeteredPercent: number;
  /** The largest |driftPercent| of the judged features (0 when none was judged). */
  readonly maxDriftPercent: number;
  /** True when a judged feature drifts past the threshold, or unmetered spend is over the minimum and the threshold. */
  readonly overThreshold: boolean;
}

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  readonly day: string;
  readonly thresholdPercent: number;
  readonly minimumUsd: number;
}

/** Judges the query's rows. */
export function reconcile(rows: ReadonlyArray<ReconciliationRow>, options: ReconcileOptions): ReconciliationReport {
  const { thresholdPercent, minimumUsd } = options;
  const byFeature = new Map<string, { application: string; feature: string; models: ModelDrift[] }>();
  for (const r of rows.filter((row) => row.kind === 'feature')) {
    const application = r.application ?? '';
    const feature = r.feature ?? '';
    const key = JSON.stringify([application, feature]);
    const entry = byFeature.get(key) ?? { application, feature, models: [] };
    entry.models.push({ model: r.model ?? '', meteredUsd: r.meteredUsd, billedUsd: r.billedUsd, driftUsd: r.meteredUsd - r.billedUsd });
    byFeature.set(key, entry);
  }
  const features: FeatureDrift[] = [...byFeature.values()].map(({ application, feature, models }) => {
    const meteredUsd = models.reduce((sum, m) => sum + m.meteredUsd, 0);
    const billedUsd = models.reduce((sum, m) => sum + m.billedUsd, 0);
    const driftUsd = meteredUsd - billedUsd;
    const driftPercent = billedUsd !== 0 ? (100 * driftUsd) / billedUsd : meteredUsd !== 0 ? 100 : 0;
    const judged = Math.max(Math.abs(meteredUsd), Math.abs(billedUsd)) >= minimumUsd;
    return {
      application, feature, meteredUsd, billedUsd, driftUsd, driftPercent, judged,
      overThreshold: judged && Math.abs(driftPercent) > thresholdPercent,
      models: models.sort((a, b) => a.model.localeCompare(b.model)),
    };
  }).sort((a, b) => a.application.localeCompare(b.application) || a.feature.localeCompare(b.feature));
  const unmeteredUsd = rows.filter((r) => r.kind === 'unmetered').reduce((sum, r) => sum + r.billedUsd, 0);
  const meteredUsd = features.reduce((sum, f) => sum + f.meteredUsd, 0);
  const billedUsd = features.reduce((sum, f) => sum + f.billedUsd, 0) + unmeteredUsd;
  const unmeteredPercent = billedUsd > 0 ? (100 * unmeteredUsd) / billedUsd : 0;
  const maxDriftPercent = features.filter((f) => f.judged).reduce((max, f) => Math.max(max, Math.abs(f.driftPercent)), 0);
  const unmeteredOver = unmeteredUsd >= minimumUsd && unmeteredPercent > thresholdPercent;
  return {
    day: options.day, thresholdPercent, minimumUsd, features, meteredUsd, billedUsd, unmeteredUsd, unmeteredPercent,
    maxDriftPercent, overThreshold: unmeteredOver || features.some((f) => f.overThreshold),
  };
}

/**
 * Reads the query's result rows (column names as the query writes them, values as numbers or numeric strings, as
 * Athena returns every value as a string). Throws naming the row and column when a value is not what it must be.
 */
export function parseReconciliationRows(rows: ReadonlyArray<Record<string, unknown>>): ReconciliationRow[] {
  return rows.map((row, index) => {
    const kind = row.kind;
    if (kind !== 'feature' && kind !== 'unmetered') throw new Error(`reconciliation row ${index + 1}: kind is ${JSON.stringify(kind)}, not feature or unmetered`);
    const text = (name: string) => (row[name] === null || row[name] === undefined || row[name] === '' ? null : String(row[name]));
    const number = (name: string) => {
      const value = row[name] === null || row[name] === undefined || row[name] === '' ? 0 : Number(row[name]);
      if (!Number.isFinite(value)) throw new Error(`reconciliation row ${index + 1}: ${name} is ${JSON.stringify(row[name])}, not a number`);
      return value;
    };
    return { kind, application: text('application'), feature: text('feature'), model: text('model'), meteredUsd: number('metered_usd'), billedUsd: number('billed_usd') };
  });
}

/** The UTC day `lagDays` before `now`, `YYYY-MM-DD`. */
export function dayToReconcile(now: Date, lagDays: number): string {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(midnight - lagDays * 86_400_000).toISOString().slice(0, 10);
}
