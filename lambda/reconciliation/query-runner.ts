import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

/** Runs one SQL statement and returns its rows as objects keyed by column name. The port the handler runs on. */
export interface QueryRunner {
  run(sql: string): Promise<Array<Record<string, string | null>>>;
}

/** Options of {@link AthenaQueryRunner}. */
export interface AthenaQueryRunnerOptions {
  readonly client: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  /** Waits between status polls; injectable so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Poll interval, ms. */
  readonly pollMs?: number;
  /** Gives up polling after this many ms (the query keeps running in Athena; the workgroup's cutoff bounds its cost). */
  readonly timeoutMs?: number;
}

/**
 * Runs SQL in an Athena workgroup: start, poll until it ends, page through the results. The workgroup enforces its
 * result location and encryption, so none is given here.
 */
export class AthenaQueryRunner implements QueryRunner {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AthenaQueryRunnerOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run(sql: string): Promise<Array<Record<string, string | null>>> {
    const { client, workGroup, database } = this.options;
    const started = await client.send(new StartQueryExecutionCommand({
      QueryString: sql, WorkGroup: workGroup, QueryExecutionContext: { Database: database },
    }));
    const id = started.QueryExecutionId;
    if (!id) throw new Error('Athena started no query execution (no QueryExecutionId)');
    const pollMs = this.options.pollMs ?? 1000;
    const deadline = (this.options.timeoutMs ?? 240_000) / pollMs;
    for (let polls = 0; ; polls++) {
      const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = execution.QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new Error(`Athena query ${id} ${state}: ${execution.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`);
      }
      if (polls >= deadline) throw new Error(`Athena query ${id} still ${state ?? 'unknown'} after ${this.options.timeoutMs ?? 240_000} ms`);
      await this.sleep(pollMs);
    }
    const rows: Array<Record<string, string | null>> = [];
    let columns: string[] | undefined;
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: nextToken }));
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const data = page.ResultSet?.Rows ?? [];
      // The first row of the first page repeats the column names (SELECT results).
      for (const [i, row] of data.entries()) {
        if (nextToken === undefined && i === 0) continue;
        const values = row.Data ?? [];
        rows.push(Object.fromEntries(columns.map((name, c) => [name, values[c]?.VarCharValue ?? null])));
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }
}
