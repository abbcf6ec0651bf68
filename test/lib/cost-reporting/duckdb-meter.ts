/**
 * An in-memory DuckDB whose `meter` view reads a file of EMF lines through the deployed meter table's SELECT, set up
 * once per test file (its hooks registered here), and removed after it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbMeterSelect } from '../../../shared/queries/meter';

/** The query runner of {@link useDuckDbMeter}. */
export interface DuckDbMeter {
  /** The connection; set once `beforeAll` has run. */
  readonly connection: DuckDBConnection;
  /** The temporary folder that holds the meter file, for the test's own files. */
  readonly dir: string;
  /** The rows of `sql`, as JSON objects. */
  rows(sql: string): Promise<Array<Record<string, any>>>;
}

/**
 * @param meterLines the EMF lines the `meter` view reads
 * @param tempPrefix the temporary folder's name prefix (the file's own, to tell them apart)
 * @param setUp further tables to create on the connection
 */
export function useDuckDbMeter(meterLines: () => string[], tempPrefix: string, setUp?: (connection: DuckDBConnection) => Promise<void>): DuckDbMeter {
  let connection: DuckDBConnection;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), tempPrefix));
    const meterFile = path.join(dir, 'meter.jsonl');
    writeFileSync(meterFile, `${meterLines().join('\n')}\n`);
    connection = await (await DuckDBInstance.create(':memory:')).connect();
    await setUp?.(connection);
    await connection.run(`CREATE VIEW meter AS ${duckdbMeterSelect([meterFile])}`);
  });

  afterAll(() => {
    connection?.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    get connection() {
      return connection;
    },
    get dir() {
      return dir;
    },
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, any>>,
  };
}
