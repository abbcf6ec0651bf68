import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { METRIC_NAMESPACE } from '../../../shared/contract/metrics';
import { collectMeterRecords, emfRecordsOfLine } from '../../../reports/reconcile/meter-files';
import { meterLines } from '../../lib/cost-reporting/reconciliation-fixture';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'meter-files-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading meter files', () => {
  test('an archive object written before the newline processor (records joined as `}{`) is read record by record', async () => {
    const lines = meterLines();
    const archived = path.join(dir, 'joined.json.gz');
    // One object as Firehose wrote it without AppendDelimiterToRecord: every record on one line, back to back.
    writeFileSync(archived, gzipSync(lines.join('')));
    const output = path.join(dir, 'joined-out.jsonl');
    const counts = await collectMeterRecords([archived], output);
    // The fixture holds one record of another namespace, which is skipped as it is on its own line.
    const ours = lines.map((l) => JSON.parse(l)).filter((r) => r._aws.CloudWatchMetrics[0].Namespace === METRIC_NAMESPACE);
    expect(ours.length).toBe(lines.length - 1);
    expect(counts.get(archived)).toBe(ours.length);
    const written = readFileSync(output, 'utf8').trim().split('\n');
    expect(written.map((l) => JSON.parse(l))).toEqual(ours);
  });

  test('braces inside strings do not split a record', () => {
    const record = JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'GenAI/FinOps' }] }, Feature: 'say "}{" and \\ {' });
    expect(emfRecordsOfLine(record + record)).toEqual([record, record]);
  });

  test('a line that holds "_aws" but no whole JSON object is still refused', () => {
    expect(() => emfRecordsOfLine('{"_aws": {"CloudWatchMetrics": [}{')).toThrow(/holds "_aws" but is not a JSON object/);
  });
});
