/**
 * The meter's records as a table: the EMF lines the pipeline writes (one per model call or refusal,
 * `lambda/pipeline/powertools-recorder.ts`), archived unchanged as JSON lines by `MeterArchive`, read by Athena
 * through a Glue table (OpenX JSON SerDe) and offline by DuckDB (`read_json`). The column list below is the one
 * both readers are built from, so reconciliation, statements and exports run the same SQL on either engine.
 *
 * Two differences between the engines are settled here once:
 * - key case: EMF keys are mixed case (`CostUSD`, `tenantId`). The OpenX SerDe lower-cases keys (`case.insensitive`,
 *   its default) and maps each column to its key with a `mapping.<column>` property; DuckDB's `read_json` matches
 *   keys exactly, so its reader names the EMF key and renames it to the column.
 * - time: the record's own time is `_aws.Timestamp`, epoch milliseconds (EMF specification). Trino and DuckDB share
 *   no epoch-to-timestamp function, so windows compare the integer with bounds computed by the caller
 *   ({@link meterWindow}); both engines read it as `aws.timestamp` (a struct, because a SerDe maps top-level keys only).
 */
import { METRIC, METRIC_NAMESPACE, METRIC_PROPERTY } from '../contract/metrics';
import { literal } from './sql';

/** One column of the meter table. */
export interface MeterColumn {
  /** The column name (lower case: Glue and Athena lower-case column names). */
  readonly name: string;
  /** The Glue (Hive) type. */
  readonly type: 'string' | 'bigint' | 'double' | 'struct<timestamp:bigint>';
  /** The DuckDB type `read_json` reads the EMF key as. */
  readonly duckdbType: string;
  /** The EMF record's key, as the recorder writes it. */
  readonly emfKey: string;
  /** What the column holds; NULL where the record does not carry it. */
  readonly comment: string;
}

const string = (name: string, emfKey: string, comment: string): MeterColumn => ({ name, type: 'string', duckdbType: 'VARCHAR', emfKey, comment });
const count = (name: string, emfKey: string, comment: string): MeterColumn => ({ name, type: 'bigint', duckdbType: 'BIGINT', emfKey, comment });
const usd = (name: string, emfKey: string, comment: string): MeterColumn => ({ name, type: 'double', duckdbType: 'DOUBLE', emfKey, comment });

/** The struct column holding the EMF metadata; its `timestamp` is the record's time, epoch milliseconds. */
export const METER_AWS_COLUMN = 'aws';

/** The columns of the meter table, in table order. */
export const METER_COLUMNS: readonly MeterColumn[] = [
  {
    name: METER_AWS_COLUMN, type: 'struct<timestamp:bigint>', duckdbType: 'STRUCT("Timestamp" BIGINT)', emfKey: '_aws',
    comment: 'EMF metadata; timestamp is the record time in epoch milliseconds (UTC).',
  },
  string('application', 'Application', 'Application dimension.'),
  string('feature', 'Feature', 'Feature dimension.'),
  string('model', 'Model', "Model dimension: the base model id, 'none' for a refusal."),
  string('path', 'path', 'Spend path: converse, embedding or batch.'),
  string('status', 'status', 'HTTP-like status of a refusal (4xx) or failure (5xx); NULL when answered.'),
  string('error_code', 'errorCode', 'Why a request was refused or failed.'),
  string('tenant_id', 'tenantId', 'Tenant of the request.'),
  string('user_id', 'userId', 'User of the request.'),
  string('request_id', 'requestId', 'Request id (the API Gateway or event id).'),
  string('route', METRIC_PROPERTY.route, 'Routing tier: simple, medium or complex.'),
  string('priced', 'priced', "How the cost was priced: 'catalog' or 'fallback' (an unknown model at the fallback price)."),
  string('prompt_cache', 'promptCache', 'Prompt-cache use: read, write, read-write or none.'),
  count('requests', METRIC.requests, '1 on every request record (NULL on the guards\' event records).'),
  count('input_tokens', METRIC.inputTokens, 'Fresh input tokens billed (cache reads and writes excluded).'),
  count('output_tokens', METRIC.outputTokens, 'Output tokens billed.'),
  count('cache_read_tokens', METRIC.cacheReadTokens, 'Cache-read input tokens billed.'),
  count('cache_write_tokens', METRIC.cacheWriteTokens, 'Cache-write input tokens billed.'),
  usd('cost_usd', METRIC.costUsd, 'Exact cost of the call in USD (0 for a cache hit).'),
  usd('saved_usd', METRIC.savedUsd, 'On a response-cache hit: what the original call cost.'),
  count('response_cache_hits', METRIC.responseCacheHits, '1 when served from the response cache.'),
  count('rejected_requests', METRIC.rejected, '1 when refused before any model call (4xx).'),
  count('failed_requests', METRIC.failed, '1 when failed (5xx).'),
  count('model_attempts', METRIC.attempts, 'Model calls made, retries and fallbacks included.'),
];

/** The partition column: the UTC day Firehose delivered the record, `YYYY-MM-DD` (the `dt=` folder). */
export const METER_PARTITION_COLUMN = 'dt';

/** The record's time in epoch milliseconds, in either engine. */
export const METER_TIME_MS = `${METER_AWS_COLUMN}.timestamp`;

/** True for the records of requests (the recorder's), false for the guards' event records in the same namespace. */
export const IS_METER_REQUEST = 'requests IS NOT NULL';

/**
 * The SerDe properties of the Glue table: OpenX JSON SerDe, keys lower-cased (its default), each column mapped to
 * its EMF key. Lower-cased mapping values match whether or not the SerDe lower-cases them itself.
 * @see https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html
 */
export function meterSerdeParameters(): Record<string, string> {
  // A malformed line (a blank line, a truncated record) becomes a row of NULLs instead of failing the whole query;
  // every meter query keeps only rows where IS_METER_REQUEST holds, so such a row is dropped.
  const parameters: Record<string, string> = { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'TRUE' };
  for (const c of METER_COLUMNS) {
    if (c.emfKey.toLowerCase() !== c.name) parameters[`mapping.${c.name}`] = c.emfKey.toLowerCase();
  }
  return parameters;
}

/** The OpenX JSON SerDe's class. */
export const METER_SERDE = 'org.openx.data.jsonserde.JsonSerDe';

/**
 * The CloudWatch Logs subscription filter pattern that selects the pipeline's EMF records (any record whose first
 * metric directive is in the GenAI namespace) and nothing else the functions log.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html (JSON, arrays by index)
 */
export const METER_FILTER_PATTERN = `{ $._aws.CloudWatchMetrics[0].Namespace = "${METRIC_NAMESPACE}" }`;

/**
 * The WHERE fragment for records whose own time is in `[startMs, endMs)`: the integer comparison decides, the
 * partition range only lets Athena skip the other days' objects. It runs from the start's delivery day to the day
 * after the end's: Firehose delivers within its buffering interval, but retries a failed S3 delivery for up to a day.
 * `startMs` and `endMs` are whole epoch milliseconds.
 */
export function meterWindow(startMs: number, endMs: number): string {
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs) || endMs <= startMs) {
    throw new Error(`a meter window needs whole epoch milliseconds with start < end; got ${startMs} and ${endMs}`);
  }
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const lastDay = day(endMs + 86_400_000);
  return `${METER_PARTITION_COLUMN} BETWEEN ${literal(day(startMs))} AND ${literal(lastDay)}`
    + ` AND ${METER_TIME_MS} >= ${startMs} AND ${METER_TIME_MS} < ${endMs}`;
}

/**
 * A DuckDB SELECT giving the meter table's columns (and `dt`, from the record's own time) over JSON-lines files of
 * EMF records as the recorder writes them, keeping only the GenAI namespace's records. Use it as a subquery or a
 * view named like the Glue table, and the shared SQL runs unchanged.
 *
 * @param files paths or globs DuckDB reads (plain or gzip JSON lines).
 */
export function duckdbMeterSelect(files: readonly string[]): string {
  if (files.length === 0) throw new Error('duckdbMeterSelect needs at least one file');
  const columns = METER_COLUMNS.map((c) => c.emfKey === '_aws'
    ? `${literal('_aws')}: ${literal('STRUCT("Timestamp" BIGINT, "CloudWatchMetrics" STRUCT("Namespace" VARCHAR)[])')}`
    : `${literal(c.emfKey)}: ${literal(c.duckdbType)}`);
  const source = `read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', columns = {${columns.join(', ')}})`;
  const projection = METER_COLUMNS.map((c) => c.emfKey === '_aws'
    ? `{'timestamp': "_aws"."Timestamp"} AS ${c.name}`
    : `"${c.emfKey}" AS ${c.name}`);
  return [
    `SELECT ${projection.join(', ')},`,
    `  strftime(epoch_ms("_aws"."Timestamp"), '%Y-%m-%d') AS ${METER_PARTITION_COLUMN}`,
    `FROM ${source}`,
    `WHERE list_contains(list_transform("_aws"."CloudWatchMetrics", d -> d."Namespace"), ${literal(METRIC_NAMESPACE)})`,
  ].join('\n');
}
