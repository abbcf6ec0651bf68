import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ReconciliationReport } from '../../shared/queries/reconciliation-verdict';
import { createTableSql, insertSql } from '../lib/cost-reporting/cur-fixture';
import { curRows, DAY, EXPECTED, meterLines } from '../lib/cost-reporting/reconciliation-fixture';
import { runCli } from './run-cli';

let dir: string;
let curDir: string;
let meterPlain: string;
let meterExport: string;

// The fixture's CUR rows split across the two formats Data Exports writes: Parquet (written by DuckDB) and gzip CSV
// (map columns as JSON text, timestamps in ISO 8601 UTC), in a BILLING_PERIOD folder as the export lays them out.
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'reconcile-cli-'));
  curDir = path.join(dir, 'cur2', 'data', `BILLING_PERIOD=${DAY.slice(0, 7)}`);
  mkdirSync(curDir, { recursive: true });
  const rows = curRows();
  const half = Math.ceil(rows.length / 2);
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  await connection.run(createTableSql('a'));
  await connection.run(insertSql('a', rows.slice(0, half)));
  await connection.run(createTableSql('b'));
  await connection.run(insertSql('b', rows.slice(half)));
  await connection.run(`COPY (SELECT * EXCLUDE (billing_period) FROM a) TO '${path.join(curDir, 'part-1.snappy.parquet')}' (FORMAT parquet)`);
  const csvColumns = ((await connection.runAndReadAll('DESCRIBE b')).getRowObjectsJson() as Array<{ column_name: string; column_type: string }>)
    .filter((c) => c.column_name !== 'billing_period')
    .map((c) => (c.column_type.startsWith('MAP') ? `to_json(${c.column_name}) AS ${c.column_name}`
      : c.column_type === 'TIMESTAMP' ? `strftime(${c.column_name}, '%Y-%m-%dT%H:%M:%SZ') AS ${c.column_name}` : c.column_name));
  await connection.run(`COPY (SELECT ${csvColumns.join(', ')} FROM b) TO '${path.join(curDir, 'part-2.csv.gz')}' (FORMAT csv, HEADER, COMPRESSION gzip)`);
  connection.closeSync();

  // The meter: part as the functions write it, part as a CloudWatch Logs export (the event's timestamp before each
  // message, Lambda's own lines in between), gzip.
  const lines = meterLines();
  meterPlain = path.join(dir, 'meter.jsonl');
  writeFileSync(meterPlain, `${lines.slice(0, 4).join('\n')}\n`);
  meterExport = path.join(dir, '000000.gz');
  const exported = lines.slice(4).flatMap((line) => [
    `${new Date(JSON.parse(line)._aws.Timestamp).toISOString()} START RequestId: 1 Version: $LATEST`,
    `${new Date(JSON.parse(line)._aws.Timestamp).toISOString()} ${line}`,
  ]);
  writeFileSync(meterExport, gzipSync(`${exported.join('\n')}\n`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('genai-finops reconcile', () => {
  test('--json: the meter and the bill per feature and the unmetered spend, from Parquet, gzip CSV and both meter shapes', async () => {
    const run = await runCli(['reconcile', '--cur', path.join(dir, 'cur2'), '--meter', `${meterPlain},${meterExport}`, '--day', DAY, '--json'], 120_000);
    expect(run.stderr).toContain('read 2 CUR file(s)');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ReconciliationReport;
    expect(report.day).toBe(DAY);
    expect(report.features.map((f) => [f.application, f.feature])).toEqual(EXPECTED.features.map((f) => [f.application, f.feature]));
    for (const [i, f] of EXPECTED.features.entries()) {
      expect(report.features[i].meteredUsd).toBeCloseTo(f.meteredUsd, 9);
      expect(report.features[i].billedUsd).toBeCloseTo(f.billedUsd, 9);
    }
    expect(report.unmeteredUsd).toBeCloseTo(EXPECTED.unmeteredUsd, 9);
    expect(report.billedUsd).toBeCloseTo(EXPECTED.billedUsd, 9);
    expect(report.overThreshold).toBe(true);
  });

  test('prints a table by default, flagging the feature past the threshold and the unmetered spend', async () => {
    const run = await runCli(['reconcile', '--cur', path.join(dir, 'cur2'), '--meter', `${meterPlain},${meterExport}`, '--day', DAY], 120_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/support-bot\s+summarize\s+1\.0000\s+0\.9500\s+0\.0500\s+\+5\.26\s+OVER/);
    expect(run.stdout).toMatch(/support-bot\s+chat\s+0\.7500\s+0\.7500\s+0\.0000\s+\+0\.00/);
    expect(run.stdout).toMatch(/\(unmetered\)\s+-\s+0\.0000\s+0\.7500\s+-0\.7500\s+-\s+24\.59 % of the bill OVER/);
    // the batch job stamped with its end time and the Savings-Plan-covered call reconcile on the day they ran
    expect(run.stdout).toMatch(/support-bot\s+translate\s+0\.5000\s+0\.5000\s+0\.0000\s+\+0\.00/);
    expect(run.stdout).toContain('1 feature past 2 %: support-bot/summarize (+5.26 %).');
    // per model under a feature on two: the bill's Model tag against the meter's model
    expect(run.stdout).toMatch(/ {2}model claude-sonnet-4-5\s+0\.3500\s+0\.3500\s+0\.0000/);
    expect(run.stdout).toMatch(/ {2}model \(no Model tag\)\s+0\.0000\s+0\.9500\s+-0\.9500/);
  });

  test('a threshold above the drift flags only the unmetered spend', async () => {
    const run = await runCli(['reconcile', '--cur', path.join(dir, 'cur2'), '--meter', `${meterPlain},${meterExport}`, '--day', DAY, '--threshold', '6', '--json'], 120_000);
    const report = JSON.parse(run.stdout) as ReconciliationReport;
    expect(report.features.some((f) => f.overThreshold)).toBe(false);
    expect(report.overThreshold).toBe(true);
  });

  test('fails with exit 2 on a CUR file without the columns it needs, naming the file and the column', async () => {
    const bad = path.join(dir, 'not-cur.csv');
    writeFileSync(bad, 'line_item_usage_start_date,line_item_unblended_cost\n2026-03-10T01:00:00Z,1\n');
    const run = await runCli(['reconcile', '--cur', bad, '--meter', meterPlain, '--day', DAY], 120_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}: not a CUR 2.0 export: missing columns bill_billing_period_start_date, line_item_line_item_type, line_item_product_code, resource_tags`);
  });

  test('fails with exit 2 on a meter file without EMF records, naming the file', async () => {
    const bad = path.join(dir, 'app.log');
    writeFileSync(bad, 'START RequestId: 1\nhello\n');
    const run = await runCli(['reconcile', '--cur', path.join(dir, 'cur2'), '--meter', bad], 120_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}: holds no EMF record of the GenAI/FinOps namespace`);
  });

  test('fails with exit 2 on a malformed day', async () => {
    const run = await runCli(['reconcile', '--cur', curDir, '--meter', meterPlain, '--day', '2026-3-10']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--day is '2026-3-10'; use a UTC day as YYYY-MM-DD");
  });
});
