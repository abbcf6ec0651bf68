import { existsSync, readFileSync } from 'node:fs';
import type { Interval } from './call-timeline';

/**
 * The JVM's unified GC log, asked for from the outside: `JAVA_TOOL_OPTIONS` is read by every JVM a process starts,
 * so DynamoDB Local's launcher needs no change. Each pause line is stamped with the wall clock in ms (`timemillis`)
 * when the pause ended, and ends with its duration.
 */
export function jvmGcLogOption(file: string): string {
  return `-Xlog:gc:file=${file}:timemillis`;
}

/** The pauses in a GC log written with {@link jvmGcLogOption}, on the wall clock (ms since the epoch). */
export function readJvmGcPauses(file: string): Interval[] {
  if (!existsSync(file)) return [];
  const pauses: Interval[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\[(\d+)ms\].*Pause.* (\d+(?:\.\d+)?)ms$/.exec(line.trim());
    if (match) pauses.push({ start: Number(match[1]) - Number(match[2]), end: Number(match[1]) });
  }
  return pauses;
}
