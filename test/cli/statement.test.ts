import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FOCUS_COLUMNS } from '../../shared/queries/focus';
import { MONTH, STATEMENT_EXPECTED, statementMeterLines } from '../lib/cost-reporting/statement-fixture';
import { runCli } from './run-cli';

let dir: string;
let meterDir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'statement-cli-'));
  meterDir = path.join(dir, 'meter');
  mkdirSync(path.join(meterDir, 'dt=2026-11-01'), { recursive: true });
  const lines = statementMeterLines();
  // Half as plain JSON lines, half gzip, in a folder: as the MeterArchive's objects are laid out
  writeFileSync(path.join(meterDir, 'part-1.jsonl'), `${lines.slice(0, 5).join('\n')}\n`);
  writeFileSync(path.join(meterDir, 'dt=2026-11-01', 'part-2.gz'), gzipSync(`${lines.slice(5).join('\n')}\n`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

jest.setTimeout(120_000);

describe('genai-finops statement', () => {
  test('prints each tenant\'s statement for the month as JSON, with the totals worked out by hand', async () => {
    const run = await runCli(['statement', '--meter', meterDir, '--month', MONTH, '--json']);

    // 9 calls and the guard event of the namespace; the other namespace's record is skipped
    expect(run.stderr).toContain('read 10 meter records from 2 files');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.month).toBe(MONTH);
    expect(result.tenants.map((t: any) => t.tenantId)).toEqual(['acme', 'globex']);
    for (const tenant of result.tenants) {
      const expected = STATEMENT_EXPECTED[tenant.tenantId as 'acme' | 'globex'];
      expect(tenant.totals).toMatchObject({ requests: expected.requests, inputTokens: expected.inputTokens, outputTokens: expected.outputTokens, cacheReadTokens: expected.cacheReadTokens, cacheWriteTokens: expected.cacheWriteTokens });
      expect(tenant.totals.costUsd).toBeCloseTo(expected.costUsd, 12);
      expect(tenant.totals.savedUsd).toBeCloseTo(expected.savedUsd, 12);
    }
  });

  test('--tenant shows that tenant only: the other tenant\'s rows are not in the output', async () => {
    const run = await runCli(['statement', '--meter', meterDir, '--month', MONTH, '--tenant', 'globex']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Statement 2026-11: tenant globex');
    expect(run.stdout).not.toContain('acme');
    expect(run.stdout).not.toContain('summarize');
    expect(run.stdout).toContain('$0.002308');
  });

  test('--focus writes the FOCUS 1.2 CSV: every column, ISO 8601 UTC periods, and the statement\'s totals', async () => {
    const csv = path.join(dir, 'focus.csv');

    const run = await runCli(['statement', '--meter', meterDir, '--month', MONTH, '--focus', csv]);

    expect(run.code).toBe(0);
    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    expect(header.split(',')).toEqual(FOCUS_COLUMNS.map((c) => c.name));
    expect(rows).toHaveLength(4);
    const start = header.split(',').indexOf('ChargePeriodStart');
    const cost = header.split(',').indexOf('BilledCost');
    // Tags hold commas inside quotes: the columns before them split cleanly
    expect(rows.every((r) => r.split(',')[start] === '2026-11-01T00:00:00Z')).toBe(true);
    const total = rows.reduce((sum, r) => sum + Number(r.split(',')[cost]), 0);
    expect(total).toBeCloseTo(STATEMENT_EXPECTED.acme.costUsd + STATEMENT_EXPECTED.globex.costUsd, 10);
  });

  test('--focus CSV periods are UTC on a machine in another time zone', async () => {
    const csv = path.join(dir, 'focus-new-york.csv');
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    let run;
    try {
      run = await runCli(['statement', '--meter', meterDir, '--month', MONTH, '--focus', csv]);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    expect(run.code).toBe(0);
    const [header, first] = readFileSync(csv, 'utf8').trim().split('\n');
    expect(first.split(',')[header.split(',').indexOf('ChargePeriodStart')]).toBe('2026-11-01T00:00:00Z');
  });

  test('fails with exit code 2 naming a file that is not the meter\'s EMF records', async () => {
    const cur = path.join(dir, 'cur.csv');
    writeFileSync(cur, 'line_item_usage_account_id,line_item_unblended_cost\n111122223333,1.5\n');

    const run = await runCli(['statement', '--meter', cur, '--month', MONTH]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(cur);
    expect(run.stderr).toMatch(/holds no EMF record/);
  });

  test('fails with exit code 2 on a month that is not YYYY-MM', async () => {
    const run = await runCli(['statement', '--meter', meterDir, '--month', '2026-13']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--month .*use YYYY-MM/);
  });
});
