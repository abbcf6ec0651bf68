import * as path from 'node:path';
import { FOCUS_COLUMNS, focusSelect } from '../../../shared/queries/focus';
import { STATEMENT_COLUMNS, STATEMENT_MONTH_OF, statementQuery, statementSelect } from '../../../shared/queries/statement';
import { tenantStatements } from '../../../bin/cli/statement';
import { useDuckDbMeter } from './duckdb-meter';
import { MONTH, STATEMENT_EXPECTED, statementMeterLines } from './statement-fixture';

const duckdb = useDuckDbMeter(statementMeterLines, 'statement-sql-');
const { rows } = duckdb;

const query = (tenant?: string) => statementQuery({ meterTable: 'meter', monthOf: STATEMENT_MONTH_OF.duckdb, month: MONTH, tenant });

describe('the tenant statement in DuckDB', () => {
  test('gives each tenant\'s requests, tokens by kind, USD and savings for the month, as worked out by hand', async () => {
    const statements = tenantStatements(await rows(query()));

    expect(statements.map((s) => s.tenantId)).toEqual(['acme', 'globex']);
    for (const statement of statements) {
      const expected = STATEMENT_EXPECTED[statement.tenantId as 'acme' | 'globex'];
      const { lines: expectedLines, costUsd, savedUsd, ...counts } = expected;
      expect(statement.totals).toMatchObject(counts);
      expect(statement.totals.costUsd).toBeCloseTo(costUsd, 12);
      expect(statement.totals.savedUsd).toBeCloseTo(savedUsd, 12);
      expect(Object.fromEntries(statement.lines.map((l) => [`${l.feature}/${l.model}`, {
        requests: l.requests, inputTokens: l.inputTokens, outputTokens: l.outputTokens, cacheReadTokens: l.cacheReadTokens,
        cacheWriteTokens: l.cacheWriteTokens, costUsd: Number(l.costUsd.toFixed(12)), savedUsd: Number(l.savedUsd.toFixed(12)),
      }]))).toEqual(expectedLines);
    }
  });

  test('returns the documented columns in order', async () => {
    const [first] = await rows(query());
    expect(Object.keys(first)).toEqual([...STATEMENT_COLUMNS]);
  });

  test('a tenant\'s statement holds its own rows only, never the other tenant\'s', async () => {
    const acme = await rows(query('acme'));
    const globex = await rows(query('globex'));

    expect(new Set(acme.map((r) => r.tenant_id))).toEqual(new Set(['acme']));
    expect(new Set(globex.map((r) => r.tenant_id))).toEqual(new Set(['globex']));
    expect(tenantStatements(globex)[0].totals.costUsd).toBeCloseTo(STATEMENT_EXPECTED.globex.costUsd, 12);
    expect(await rows(query('initech'))).toEqual([]);
  });

  test('grouped by delivery day (the Athena view), a dt range selects the folders and the sum over dt is the month\'s', async () => {
    const view = `(${statementSelect('meter', STATEMENT_MONTH_OF.duckdb, true)})`;
    const perTenant = await rows(`SELECT tenant_id, sum(cost_usd) AS cost_usd, count(DISTINCT dt) AS days FROM ${view}
      WHERE month = '${MONTH}' AND dt BETWEEN '${MONTH}-01' AND '2026-12-02' GROUP BY 1 ORDER BY 1`);
    expect(perTenant.map((r) => r.tenant_id)).toEqual(['acme', 'globex']);
    expect(Number(perTenant[0].cost_usd)).toBeCloseTo(STATEMENT_EXPECTED.acme.costUsd, 12);
    expect(Number(perTenant[1].cost_usd)).toBeCloseTo(STATEMENT_EXPECTED.globex.costUsd, 12);
    expect(Number(perTenant[0].days)).toBeGreaterThan(0);
  });

  test('a tenant id with a quote cannot break out of the filter', async () => {
    expect(await rows(query("acme' OR '1'='1"))).toEqual([]);
  });
});

describe('the FOCUS 1.2 export', () => {
  let parquet: string;
  beforeAll(async () => {
    parquet = path.join(duckdb.dir, 'focus.parquet');
    // As the command does: TIMESTAMPTZ values read back in the session's zone.
    await duckdb.connection.run("SET TimeZone = 'UTC'");
    await duckdb.connection.run(`COPY (${focusSelect(query())}) TO '${parquet}' (FORMAT PARQUET)`);
  });

  // FOCUS 1.2's Mandatory columns (the spec's column index), and the types its data types map to in Parquet.
  const MANDATORY = [
    'BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
    'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargePeriodEnd', 'ChargePeriodStart', 'ContractedCost',
    'EffectiveCost', 'InvoiceIssuerName', 'ListCost', 'PricingQuantity', 'PricingUnit', 'ProviderName', 'PublisherName',
    'ServiceCategory', 'ServiceName',
  ];
  const DUCKDB_TYPE = { Decimal: /^DECIMAL/, DateTime: /^TIMESTAMP/, String: /^VARCHAR$/, JSON: /^(JSON|VARCHAR)$/ };

  test('has every mandatory FOCUS column, with the type FOCUS gives it', async () => {
    const described = new Map((await rows(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`)).map((r) => [r.column_name, String(r.column_type)]));

    for (const name of MANDATORY) expect(described.has(name)).toBe(true);
    for (const column of FOCUS_COLUMNS) expect(described.get(column.name)).toMatch(DUCKDB_TYPE[column.focusType]);
    for (const name of ['x_InputTokens', 'x_OutputTokens', 'x_CacheReadTokens', 'x_CacheWriteTokens', 'x_TenantId', 'x_Feature']) {
      expect(described.has(name)).toBe(true);
    }
  });

  test('DateTime columns are UTC timestamps (Parquet isAdjustedToUTC), whatever the writer\'s time zone', async () => {
    const other = path.join(duckdb.dir, 'focus-new-york.parquet');
    await duckdb.connection.run("SET TimeZone = 'America/New_York'");
    try {
      await duckdb.connection.run(`COPY (${focusSelect(query())}) TO '${other}' (FORMAT PARQUET)`);
    } finally {
      await duckdb.connection.run("SET TimeZone = 'UTC'");
    }
    const schema = await rows(`SELECT name, logical_type FROM parquet_schema('${other}')`);
    for (const column of FOCUS_COLUMNS.filter((c) => c.focusType === 'DateTime')) {
      expect(schema.find((r) => r.name === column.name)!.logical_type).toContain('isAdjustedToUTC=1');
    }
    const [first] = await rows(`SELECT epoch_ms(ChargePeriodStart) AS start_ms, epoch_ms(ChargePeriodEnd) AS end_ms FROM read_parquet('${other}') LIMIT 1`);
    expect(Number(first.start_ms)).toBe(Date.parse(`${MONTH}-01T00:00:00Z`));
  });

  test('mandatory columns that must not be null are filled on every row, with FOCUS\'s allowed values', async () => {
    const focus = await rows(`SELECT * FROM read_parquet('${parquet}')`);
    expect(focus.length).toBe(4); // acme: chat/haiku, summarize/sonnet; globex: chat/haiku, search/titan (refusals cost nothing)
    for (const row of focus) {
      for (const name of MANDATORY.filter((n) => n !== 'ChargeClass')) expect(row[name]).not.toBeNull();
      expect(row).toMatchObject({ BillingCurrency: 'USD', ChargeCategory: 'Usage', ServiceCategory: 'AI and Machine Learning', ServiceName: 'Amazon Bedrock', ProviderName: 'Amazon Web Services' });
      expect(row.ChargePeriodStart).toBe('2026-11-01 00:00:00+00');
      expect(row.ChargePeriodEnd).toBe('2026-12-01 00:00:00+00');
      expect(JSON.parse(row.Tags)).toMatchObject({ TenantId: row.x_TenantId, Feature: row.x_Feature });
    }
    expect(focus.find((r) => r.ResourceId === 'amazon.titan-embed-text-v2:0')!.PublisherName).toBe('Amazon');
    expect(focus.find((r) => r.ResourceId?.startsWith('anthropic.'))!.PublisherName).toBe('Anthropic');
  });

  test('its totals per tenant equal the statement\'s', async () => {
    const totals = await rows(`SELECT x_TenantId AS tenant, sum(BilledCost) AS cost, sum(EffectiveCost) AS effective, sum(x_InputTokens) AS input,
      sum(x_OutputTokens) AS output, sum(x_CacheReadTokens) AS cache_read, sum(x_CacheWriteTokens) AS cache_write, sum(ConsumedQuantity) AS consumed
      FROM read_parquet('${parquet}') GROUP BY 1 ORDER BY 1`);
    for (const total of totals) {
      const expected = STATEMENT_EXPECTED[total.tenant as 'acme' | 'globex'];
      expect(Number(total.cost)).toBeCloseTo(expected.costUsd, 10);
      expect(Number(total.effective)).toBeCloseTo(expected.costUsd, 10);
      expect(Number(total.input)).toBe(expected.inputTokens);
      expect(Number(total.output)).toBe(expected.outputTokens);
      expect(Number(total.cache_read)).toBe(expected.cacheReadTokens);
      expect(Number(total.cache_write)).toBe(expected.cacheWriteTokens);
      expect(Number(total.consumed)).toBe(expected.inputTokens + expected.outputTokens + expected.cacheReadTokens + expected.cacheWriteTokens);
    }
    expect(totals.map((t) => t.tenant)).toEqual(['acme', 'globex']);
  });
});
