import { meterSerdeParameters, METER_COLUMNS, meterWindow } from '../../../shared/queries/meter';
import { reconciliationQuery } from '../../../shared/queries/reconciliation';
import { parseReconciliationRows, reconcile } from '../../../shared/queries/reconciliation-verdict';
import { createTableSql, insertSql } from './cur-fixture';
import { useDuckDbMeter } from './duckdb-meter';
import { curRows, DAY, EXPECTED, meterLines } from './reconciliation-fixture';

const { rows } = useDuckDbMeter(meterLines, 'reconcile-sql-', async (connection) => {
  await connection.run(createTableSql('cur'));
  await connection.run(insertSql('cur', curRows()));
});

describe('the meter table over EMF lines', () => {
  test('reads the recorder\'s records of the GenAI namespace, with their time, cost, tokens and tenant', async () => {
    const records = await rows(`SELECT * FROM meter WHERE ${meterWindow(Date.parse(`${DAY}T00:00:00Z`), Date.parse(`${DAY}T00:00:00Z`) + 86_400_000)}`);
    // 8 request records on the day (7 answered, 1 refused) and the guard event; not the other namespace's record
    expect(records).toHaveLength(9);
    const first = records.find((r) => r.tenant_id === 'acme')!;
    expect(first).toMatchObject({ application: 'support-bot', feature: 'chat', model: 'anthropic.claude-haiku-4-5-20251001-v1:0', path: 'converse', cost_usd: 0.4, priced: 'catalog' });
    expect(Number(first.input_tokens)).toBe(1000);
    expect(Number(first.aws.timestamp)).toBe(Date.parse(`${DAY}T01:00:00Z`));
    expect(first.dt).toBe(DAY);
    const refused = records.find((r) => r.status === '429')!;
    expect(refused).toMatchObject({ error_code: 'TenantQuotaExceeded', cost_usd: null });
    expect(Number(refused.rejected_requests)).toBe(1);
  });

  test('the Glue table maps every column that is not its EMF key lower-cased to that key', () => {
    const mappings = meterSerdeParameters();
    for (const column of METER_COLUMNS) {
      if (column.name === column.emfKey.toLowerCase()) expect(mappings[`mapping.${column.name}`]).toBeUndefined();
      else expect(mappings[`mapping.${column.name}`]).toBe(column.emfKey.toLowerCase());
    }
    expect(mappings['mapping.cost_usd']).toBe('costusd');
    // A blank or truncated line becomes an all-NULL row (dropped by `requests IS NOT NULL`), not a failed query.
    expect(mappings['ignore.malformed.json']).toBe('TRUE');
  });
});

describe('reconciliationQuery in DuckDB', () => {
  test('gives the meter and the bill per feature and model, and the unmetered spend, as worked out by hand', async () => {
    const result = parseReconciliationRows(await rows(reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day: DAY })));
    const report = reconcile(result, { day: DAY, thresholdPercent: 2, minimumUsd: 0.01 });
    expect(report.features.map((f) => `${f.application}/${f.feature}`)).toEqual(EXPECTED.features.map((f) => `${f.application}/${f.feature}`));
    for (const [i, expected] of EXPECTED.features.entries()) {
      expect(report.features[i].meteredUsd).toBeCloseTo(expected.meteredUsd, 9);
      expect(report.features[i].billedUsd).toBeCloseTo(expected.billedUsd, 9);
    }
    for (const [key, models] of Object.entries(EXPECTED.models)) {
      const feature = report.features.find((f) => `${f.application}/${f.feature}` === key)!;
      expect(feature.models.map((m) => m.model)).toEqual(models.map((m) => m.model));
      for (const [i, m] of models.entries()) {
        expect(feature.models[i].meteredUsd).toBeCloseTo(m.meteredUsd, 9);
        expect(feature.models[i].billedUsd).toBeCloseTo(m.billedUsd, 9);
      }
    }
    const unmetered = result.filter((r) => r.kind === 'unmetered');
    expect(unmetered).toHaveLength(1);
    expect(unmetered[0].billedUsd).toBeCloseTo(EXPECTED.unmeteredUsd, 9);
    expect(unmetered[0].meteredUsd).toBe(0);
  });

  test('the drift columns are metered − billed and its share of the bill, per model', async () => {
    const result = await rows(reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day: DAY }));
    const sonnet = result.find((r) => r.feature === 'chat' && r.model === 'claude-sonnet-4-5')!;
    expect(sonnet.drift_usd).toBeCloseTo(0, 9);
    expect(sonnet.drift_pct).toBeCloseTo(0, 9);
    const untagged = result.find((r) => r.feature === 'summarize' && r.model === '(no Model tag)')!;
    expect(untagged.drift_usd).toBeCloseTo(-0.95, 9);
    expect(untagged.drift_pct).toBeCloseTo(-100, 9);
    const unbilled = result.find((r) => r.feature === 'summarize' && r.model === 'claude-haiku-4-5')!;
    expect(unbilled.drift_pct).toBeNull();
  });

  test('a day with neither records nor bill gives only an empty unmetered line', async () => {
    const result = parseReconciliationRows(await rows(reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day: '2026-03-01' })));
    expect(result).toEqual([{ kind: 'unmetered', application: null, feature: null, model: null, meteredUsd: 0, billedUsd: 0 }]);
  });

  test('fails when the day is not YYYY-MM-DD', () => {
    expect(() => reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day: '10/03/2026' })).toThrow(/'10\/03\/2026'; use YYYY-MM-DD/);
  });
});

describe('reconcile (the judgement)', () => {
  test('flags the feature past the threshold and the unmetered spend, and totals both sides', async () => {
    const result = parseReconciliationRows(await rows(reconciliationQuery({ curTable: 'cur', meterTable: 'meter', day: DAY })));
    const report = reconcile(result, { day: DAY, thresholdPercent: 2, minimumUsd: 0.01 });
    expect(report.features.filter((f) => f.overThreshold).map((f) => f.feature)).toEqual(['summarize']);
    expect(report.meteredUsd).toBeCloseTo(EXPECTED.meteredUsd, 9);
    expect(report.billedUsd).toBeCloseTo(EXPECTED.billedUsd, 9);
    expect(report.unmeteredUsd).toBeCloseTo(EXPECTED.unmeteredUsd, 9);
    expect(report.unmeteredPercent).toBeCloseTo(EXPECTED.unmeteredPercent, 9);
    expect(report.maxDriftPercent).toBeCloseTo((100 * 0.05) / 0.95, 9);
    expect(report.overThreshold).toBe(true);
  });

  test('a threshold above the drift and the unmetered share flags nothing', () => {
    const report = reconcile([
      { kind: 'feature', application: 'a', feature: 'f', model: 'm', meteredUsd: 1.01, billedUsd: 1 },
      { kind: 'unmetered', application: null, feature: null, model: null, meteredUsd: 0, billedUsd: 0.005 },
    ], { day: DAY, thresholdPercent: 2, minimumUsd: 0.01 });
    expect(report.features[0].driftPercent).toBeCloseTo(1, 9);
    expect(report.overThreshold).toBe(false);
  });

  test('metered spend the bill does not show drifts 100 %; amounts under the minimum are not judged', () => {
    const report = reconcile([
      { kind: 'feature', application: 'a', feature: 'unbilled', model: 'm', meteredUsd: 0.5, billedUsd: 0 },
      { kind: 'feature', application: 'a', feature: 'tiny', model: 'm', meteredUsd: 0.004, billedUsd: 0.001 },
      { kind: 'unmetered', application: null, feature: null, model: null, meteredUsd: 0, billedUsd: 0 },
    ], { day: DAY, thresholdPercent: 2, minimumUsd: 0.01 });
    const byName = new Map(report.features.map((f) => [f.feature, f]));
    expect(byName.get('unbilled')).toMatchObject({ driftPercent: 100, judged: true, overThreshold: true });
    expect(byName.get('tiny')).toMatchObject({ judged: false, overThreshold: false });
    expect(report.maxDriftPercent).toBe(100);
  });

  test('fails on a row whose figures are not numbers, naming the row and the column', () => {
    expect(() => parseReconciliationRows([{ kind: 'feature', application: 'a', feature: 'f', metered_usd: 'abc', billed_usd: '1' }]))
      .toThrow(/row 1: metered_usd is "abc", not a number/);
  });
});
