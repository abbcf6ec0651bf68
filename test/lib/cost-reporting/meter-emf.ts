/**
 * The meter's EMF lines as the runtime writes them, for the cost-reporting fixtures: the real recorder (Powertools
 * Metrics) run under a clock the fixture sets per record, a guard event record, and another namespace's record.
 */
import type { LedgerEvent } from '../../../lambda/pipeline/guards/ledger-guard';
import { PowertoolsRecorder } from '../../../lambda/pipeline/powertools-recorder';
import { ledgerEventReporter } from '../../../lambda/shared/guard-events';

/** The EMF lines `write` makes the recorder print, with `Date.now` at what `clockAt` last set. */
export function recordedEmfLines(write: (recorder: PowertoolsRecorder, clockAt: (epochMs: number) => void) => void): string[] {
  const lines: string[] = [];
  const stdoutWrite = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{"_aws"')) lines.push(line);
    return true;
  }) as typeof process.stdout.write;
  const now = jest.spyOn(Date, 'now');
  try {
    write(new PowertoolsRecorder(), (epochMs) => now.mockReturnValue(epochMs));
  } finally {
    now.mockRestore();
    process.stdout.write = stdoutWrite;
  }
  return lines;
}

// A guard event record as the runtime writes it (same namespace, no Requests), its warning kept off the test output.
export function recordGuardEvent(recorder: PowertoolsRecorder, event: LedgerEvent): void {
  const warn = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    ledgerEventReporter('support-bot', recorder)(event);
  } finally {
    warn.mockRestore();
  }
}

/** A record of another application's namespace with a cost and a request, which every meter query must leave out. */
export function otherNamespaceLine(timestampMs: number, fields: Record<string, string> = {}): string {
  return JSON.stringify({
    _aws: { Timestamp: timestampMs, CloudWatchMetrics: [{ Namespace: 'Other/App', Dimensions: [['Application']], Metrics: [{ Name: 'CostUSD', Unit: 'None' }] }] },
    Application: 'support-bot', Feature: 'chat', Requests: 1, CostUSD: 100, ...fields,
  });
}
