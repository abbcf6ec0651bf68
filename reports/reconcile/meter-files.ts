/**
 * Reading the meter's EMF records from the files a user has: JSON lines as the functions wrote them (the demo's
 * output, the MeterArchive's objects), plain or gzip, and CloudWatch Logs exports, whose lines carry the log event's
 * timestamp before the message, or wrap it in an object's `message` field. Lines that are not EMF records of the
 * pipeline's namespace (Lambda's START/END/REPORT lines, application logs) are skipped.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import * as readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { METRIC_NAMESPACE } from '../../shared/contract/metrics';
import { InputFileError } from './input-files';

/**
 * The EMF records a log line holds (none when it holds none). Throws when it looks like one but is not JSON.
 * A line may hold several records written back to back (`…}{…`): MeterArchive objects delivered before its
 * Firehose stream appended a newline to each record look so, and are read rather than refused.
 */
export function emfRecordsOfLine(line: string): string[] {
  const start = line.indexOf('{');
  if (start < 0) return [];
  const text = line.slice(start).trimEnd();
  if (!text.includes('"_aws"')) return [];
  return jsonObjectsOf(text).flatMap((value) => {
    if (typeof (value as { message?: unknown })?.message === 'string') return emfRecordsOfLine((value as { message: string }).message);
    const directives = (value as { _aws?: { CloudWatchMetrics?: Array<{ Namespace?: unknown }> } })?._aws?.CloudWatchMetrics;
    if (!Array.isArray(directives) || !directives.some((d) => d?.Namespace === METRIC_NAMESPACE)) return [];
    return [JSON.stringify(value)];
  });
}

/** The JSON objects of `text`: one, or several concatenated without a separator. */
function jsonObjectsOf(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    const parts = splitConcatenatedObjects(text);
    if (parts.length > 1) {
      try {
        return parts.map((part) => JSON.parse(part));
      } catch { /* reported below */ }
    }
    throw new InputFileError('holds "_aws" but is not a JSON object');
  }
}

// Hand-written because no JSON-lines library we use splits `}{`: splits at each point where the brace depth
// returns to 0 outside a string. A part that is not valid JSON still fails JSON.parse afterwards.
function splitConcatenatedObjects(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) parts.push(text.slice(start, i + 1));
      if (depth < 0) return [];
    }
  }
  return depth === 0 ? parts : [];
}

/**
 * Copies the EMF records of `files` into `output` as JSON lines (what `duckdbMeterSelect` reads) and returns how many
 * each file held. Throws naming the file (and line) when a file cannot be read or holds no record of the namespace.
 */
export async function collectMeterRecords(files: ReadonlyArray<string>, output: string): Promise<Map<string, number>> {
  const out = createWriteStream(output);
  const counts = new Map<string, number>();
  try {
    for (const file of files) {
      let count = 0;
      let lineNumber = 0;
      const source = createReadStream(file);
      const input = file.toLowerCase().endsWith('.gz') ? source.pipe(createGunzip()) : source;
      try {
        for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
          lineNumber++;
          let records: string[];
          try {
            records = emfRecordsOfLine(line);
          } catch (error) {
            throw new InputFileError(`${file}: line ${lineNumber} ${(error as Error).message}`);
          }
          for (const record of records) {
            count++;
            if (!out.write(`${record}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
          }
        }
      } catch (error) {
        if (error instanceof InputFileError) throw error;
        throw new InputFileError(`${file}: cannot be read as text or gzip text (${(error as Error).message})`);
      }
      if (count === 0) {
        throw new InputFileError(`${file}: holds no EMF record of the ${METRIC_NAMESPACE} namespace; the meter files are the functions' `
          + 'EMF lines (JSON lines with "_aws"), as a CloudWatch Logs export, the MeterArchive bucket or the demo writes them');
      }
      counts.set(file, count);
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  return counts;
}
