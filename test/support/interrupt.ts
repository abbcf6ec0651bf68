import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How an interrupted CLI ended, and whether what it had started is gone. */
export interface InterruptedRun {
  readonly code: number | null;
  readonly stderr: string;
  /** The processes the CLI had started (DynamoDB Local's JVM) when it was interrupted. */
  readonly children: ReadonlyArray<number>;
  /** Those of them still alive a moment after the CLI exited. */
  readonly survivors: ReadonlyArray<number>;
}

/** The direct children of `pid`, from /proc (Linux; no `ps`, which a slim CI image may lack). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces: state, then the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we read.
    }
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `node script ...args` in `cwd`, sends `signal` once its stderr shows `ready`, and reports how it ended and
 * whether the processes it had started outlived it.
 */
export function interruptWhenReady(script: string, args: ReadonlyArray<string>, cwd: string, ready: RegExp, signal: NodeJS.Signals = 'SIGINT'): Promise<InterruptedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...process.env, GENAI_FINOPS_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let children: number[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const before = stderr;
      stderr += chunk;
      if (!ready.test(before) && ready.test(stderr)) {
        children = childPids(child.pid!);
        child.kill(signal);
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      // The JVM is killed and reaped before the CLI exits; a moment lets the kernel finish.
      setTimeout(() => resolve({ code, stderr, children, survivors: children.filter(alive) }), 200);
    });
  });
}
