import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RECONCILIATION_ENV, RECONCILIATION_METRIC, RECONCILIATION_NAMESPACE } from '../../../shared/contract/reconciliation';
import type { ReconciliationReport } from '../../../shared/queries/reconciliation-verdict';
import type { QueryRunner } from '../../../lambda/reconciliation/query-runner';
import { reconcileHandler } from '../../../lambda/reconciliation/handle';
import { readReconciliationSettings } from '../../../lambda/reconciliation/settings';
import { duckdbMeterSelect } from '../../../shared/queries/meter';
import { createTableSql, insertSql } from '../../lib/cost-reporting/cur-fixture';
import { curRows, DAY, EXPECTED, meterLines } from '../../lib/cost-reporting/reconciliation-fixture';

/** Runs the handler's SQL in DuckDB and returns every value as Athena does: a string, or null. */
class DuckDbQueryRunner implements QueryRunner {
  public readonly statements: string[] = [];
  constructor(private readonly connection: DuckDBConnection) {}
  async run(sql: string): Promise<Array<Record<string, string | null>>> {
    this.statements.push(sql);
    const rows = (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])));
  }
}

const written: string[] = [];
let dir: string;
let connection: DuckDBConnection;
let runner: DuckDbQueryRunner;
let handler: (event: unknown) => Promise<ReconciliationReport>;
// Two days after the fixture's day, at the schedule's hour.
const NOW = new Date(Date.parse(`${DAY}T07:00:00Z`) + 2 * 86_400_000);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'reconcile-handler-'));
  const meterFile = path.join(dir, 'meter.jsonl');
  writeFileSync(meterFile, `${meterLines().join('\n')}\n`);
  connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run('CREATE SCHEMA genai_finops_cost');
  await connection.run(createTableSql('genai_finops_cost.cur2'));
  await connection.run(insertSql('genai_finops_cost.cur2', curRows()));
  await connection.run(`CREATE VIEW genai_finops_cost.meter AS ${duckdbMeterSelect([meterFile])}`);
  runner = new DuckDbQueryRunner(connection);
  // The settings as the function reads them from the environment the construct writes.
  const settings = readReconciliationSettings({
    [RECONCILIATION_ENV.workGroup]: 'genai-finops-cost', [RECONCILIATION_ENV.database]: 'genai_finops_cost',
    [RECONCILIATION_ENV.curTable]: 'cur2', [RECONCILIATION_ENV.meterTable]: 'meter',
    [RECONCILIATION_ENV.lagDays]: '2', [RECONCILIATION_ENV.thresholdPercent]: '2',
  });
  handler = reconcileHandler({ settings, runner, now: () => NOW, write: (line) => written.push(line) });
});

afterAll(() => {
  connection?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

async function invoke(event: unknown): Promise<{ report: ReconciliationReport; emf: Array<Record<string, any>> }> {
  written.length = 0;
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const report = await handler(event);
    return { report, emf: written.map((line) => JSON.parse(line)) };
  } finally {
    stderr.mockRestore();
  }
}

describe('the reconcile handler', () => {
  test('on the schedule, reconciles the day lagDays before, as the query over the same rows says', async () => {
    const { report } = await invoke({ 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'detail': {} });
    expect(report.day).toBe(DAY);
    expect(report.billedUsd).toBeCloseTo(EXPECTED.billedUsd, 9);
    expect(report.unmeteredUsd).toBeCloseTo(EXPECTED.unmeteredUsd, 9);
    expect(report.features.filter((f) => f.overThreshold).map((f) => f.feature)).toEqual(['summarize']);
    expect(runner.statements.at(-1)).toContain('"genai_finops_cost"."cur2"');
  });

  test('publishes the drift per feature and the summary the alarms watch, as EMF', async () => {
    const { emf } = await invoke({});
    const perFeature = emf.filter((r) => r.Feature);
    expect(perFeature.map((r) => `${r.Application}/${r.Feature}`).sort()).toEqual(['docs-qa/search', 'support-bot/chat', 'support-bot/summarize', 'support-bot/translate']);
    const summarize = perFeature.find((r) => r.Feature === 'summarize')!;
    expect(summarize._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: RECONCILIATION_NAMESPACE, Dimensions: [['Application', 'Feature']] });
    expect(summarize[RECONCILIATION_METRIC.driftPercent]).toBeCloseTo((100 * 0.05) / 0.95, 5);
    expect(summarize._aws.Timestamp).toBe(NOW.getTime());
    const summary = emf.find((r) => !r.Feature)!;
    expect(summary._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(summary[RECONCILIATION_METRIC.maxDriftPercent]).toBeCloseTo((100 * 0.05) / 0.95, 5);
    expect(summary[RECONCILIATION_METRIC.unmeteredUsd]).toBeCloseTo(EXPECTED.unmeteredUsd, 6);
    expect(summary[RECONCILIATION_METRIC.unmeteredPercent]).toBeCloseTo(EXPECTED.unmeteredPercent, 5);
  });

  test('reconciles the day an invocation names', async () => {
    const { report } = await invoke({ day: '2026-03-01' });
    expect(report).toMatchObject({ day: '2026-03-01', billedUsd: 0, meteredUsd: 0, overThreshold: false });
  });

  test.each([
    ['2026-02-30', /400: day is "2026-02-30"; give a UTC day as YYYY-MM-DD/],
    [20260310, /400: day is 20260310/],
    ['2026-03-12', /400: day 2026-03-12 has not ended/],
  ])('refuses the day %p with the reason', async (day, message) => {
    await expect(invoke({ day })).rejects.toThrow(message);
  });
});

describe('the bundled reconcile handler (assets/handlers/reconcile)', () => {
  const bundle = path.join(__dirname, '..', '..', '..', 'assets', 'handlers', 'reconcile', 'index.js');
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('fails at init, naming the variable, when the construct\'s environment is missing', () => {
    for (const name of Object.values(RECONCILIATION_ENV)) delete process.env[name];
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(() => require(bundle)).toThrow(`the environment variable ${RECONCILIATION_ENV.database} is not set`);
    });
  });

  test('loads with the construct\'s environment and exports the handler', () => {
    Object.assign(process.env, {
      [RECONCILIATION_ENV.workGroup]: 'wg', [RECONCILIATION_ENV.database]: 'db', [RECONCILIATION_ENV.curTable]: 'cur2',
      [RECONCILIATION_ENV.meterTable]: 'meter', AWS_REGION: 'us-east-1',
    });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(typeof (require(bundle) as { handler: unknown }).handler).toBe('function');
    });
  });
});
