/**
 * `genai-finops statement --meter <files or dir> --month YYYY-MM [--tenant T] [--json] [--focus FILE]`: each tenant's
 * chargeback statement for a month, from the meter's EMF records (JSON lines, plain or gzip) with DuckDB, offline.
 * The SQL is the Athena view's (`lib/cost-reporting/queries/statement.ts`); `--focus` writes the FOCUS 1.2 export.
 * The files are read as `reconcile` reads them (`local/reconcile/meter-files.ts`): JSON lines, gzip, CloudWatch Logs
 * exports.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { checkMonth } from '../../shared/queries/statement';
import { InputFileError } from '../../reports/reconcile/input-files';
import type { StatementFilesResult } from '../../reports/statement/statement-files';
import { parseArgs, UsageError } from '../../shared/cli/args';
import { MissingPackageError } from './companion';
import { DUCKDB_PACKAGE } from './reconcile';
import { STATEMENT_HELP } from './help';

const COMMAND = 'statement';

/** One line of a tenant's statement: a feature and model. */
export interface StatementLine {
  readonly application: string;
  readonly feature: string;
  readonly model: string;
  readonly requests: number;
  readonly answeredRequests: number;
  readonly cacheHits: number;
  readonly refusedRequests: number;
  readonly failedRequests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
  readonly savedUsd: number;
}

/** A tenant's statement for the month: its lines and their totals. */
export interface TenantStatement {
  readonly tenantId: string;
  readonly totals: Omit<StatementLine, 'application' | 'feature' | 'model'>;
  readonly lines: readonly StatementLine[];
}

/** Runs the command; resolves to the exit code. */
export async function statementCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const { options, positionals } = parseArgs(argv, { meter: 'string', month: 'string', tenant: 'string', json: 'boolean', focus: 'string' }, COMMAND);
  if (options.help) {
    await out(STATEMENT_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  if (typeof options.meter !== 'string') throw new UsageError('--meter is required: the EMF records (JSON lines files, or a folder of them)', COMMAND);
  if (typeof options.month !== 'string') throw new UsageError('--month is required, e.g. --month 2026-11', COMMAND);
  let month: string;
  try {
    month = checkMonth(options.month);
  } catch (error) {
    throw new UsageError(`--month ${(error as Error).message}`, COMMAND);
  }
  const tenant = typeof options.tenant === 'string' ? options.tenant : undefined;
  const focusFile = typeof options.focus === 'string' ? focusTarget(options.focus) : undefined;
  const { statementFromFiles } = loadReader();
  let result: StatementFilesResult;
  try {
    result = await statementFromFiles({ meter: options.meter.split(',').map((p) => p.trim()).filter((p) => p !== ''), month, tenant, focusFile });
  } catch (error) {
    // A file of the wrong shape is a mistake in the call: exit 2, the message names the file.
    if (error instanceof InputFileError) throw new UsageError(error.message, COMMAND);
    throw error;
  }
  const statements = tenantStatements(result.rows);
  log(`read ${result.meterRecords} meter records from ${result.meterFiles} file${result.meterFiles === 1 ? '' : 's'}`);
  if (focusFile) log(`wrote the FOCUS 1.2 export to ${focusFile}`);
  await out(options.json ? `${JSON.stringify({ month, ...(tenant !== undefined ? { tenant } : {}), tenants: statements }, null, 2)}\n` : formatStatements(month, statements));
  return 0;
}

// DuckDB is an optional peer of the package (see `reconcile`): loaded on use, a missing install named with its fix.
function loadReader(): typeof import('../../reports/statement/statement-files') {
  try {
    require.resolve(DUCKDB_PACKAGE);
  } catch {
    throw new MissingPackageError(`'${COMMAND}' reads the meter with DuckDB, which is not installed. Install it beside this CLI: `
      + `\`npm install --save-dev ${DUCKDB_PACKAGE}\`, then run the command again.`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../reports/statement/statement-files') as typeof import('../../reports/statement/statement-files');
}

/** `--focus FILE`: its folder must exist; `.parquet` writes Parquet, anything else CSV. */
function focusTarget(file: string): string {
  const resolved = path.resolve(file);
  if (statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--focus needs a file name, and '${file}' is a directory`, COMMAND);
  if (!statSync(path.dirname(resolved), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--focus: the folder of '${file}' does not exist`, COMMAND);
  return resolved;
}

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/** The query's rows grouped by tenant, with each tenant's totals. */
export function tenantStatements(rows: ReadonlyArray<Record<string, unknown>>): TenantStatement[] {
  const byTenant = new Map<string, StatementLine[]>();
  for (const row of rows) {
    const line: StatementLine = {
      application: String(row.application), feature: String(row.feature), model: String(row.model),
      requests: num(row.requests), answeredRequests: num(row.answered_requests), cacheHits: num(row.cache_hits),
      refusedRequests: num(row.refused_requests), failedRequests: num(row.failed_requests),
      inputTokens: num(row.input_tokens), outputTokens: num(row.output_tokens),
      cacheReadTokens: num(row.cache_read_tokens), cacheWriteTokens: num(row.cache_write_tokens),
      costUsd: num(row.cost_usd), savedUsd: num(row.saved_usd),
    };
    const tenantId = String(row.tenant_id);
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), line]);
  }
  return [...byTenant].map(([tenantId, lines]) => ({ tenantId, lines, totals: totalsOf(lines) }));
}

function totalsOf(lines: readonly StatementLine[]): TenantStatement['totals'] {
  const sum = (key: keyof TenantStatement['totals']) => lines.reduce((total, line) => total + line[key], 0);
  return {
    requests: sum('requests'), answeredRequests: sum('answeredRequests'), cacheHits: sum('cacheHits'),
    refusedRequests: sum('refusedRequests'), failedRequests: sum('failedRequests'),
    inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), cacheReadTokens: sum('cacheReadTokens'),
    cacheWriteTokens: sum('cacheWriteTokens'), costUsd: sum('costUsd'), savedUsd: sum('savedUsd'),
  };
}

function formatStatements(month: string, statements: readonly TenantStatement[]): string {
  if (statements.length === 0) return `No meter records for ${month}.\n`;
  const out: string[] = [];
  for (const s of statements) {
    out.push(`Statement ${month}: tenant ${s.tenantId}`, '');
    const rows = [
      ['application', 'feature', 'model', 'requests', 'input', 'output', 'cache read', 'cache write', 'USD', 'saved USD'],
      ...s.lines.map((l) => [l.application, l.feature, l.model, count(l.requests), count(l.inputTokens), count(l.outputTokens), count(l.cacheReadTokens), count(l.cacheWriteTokens), usd(l.costUsd), usd(l.savedUsd)]),
      ['total', '', '', count(s.totals.requests), count(s.totals.inputTokens), count(s.totals.outputTokens), count(s.totals.cacheReadTokens), count(s.totals.cacheWriteTokens), usd(s.totals.costUsd), usd(s.totals.savedUsd)],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) out.push(`  ${r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`);
    out.push(`  ${s.totals.answeredRequests} answered (${s.totals.cacheHits} from the response cache), ${s.totals.refusedRequests} refused, ${s.totals.failedRequests} failed.`, '');
  }
  out.push('USD is the meter\'s: list price (or the workflow\'s modelPrices) of the tokens Bedrock reported; not the invoice.');
  return `${out.join('\n')}\n`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => `$${n.toFixed(6)}`;
