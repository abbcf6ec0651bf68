import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO_ROOT, 'bin', 'genai-finops.js');

/** What a CLI run produced. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node bin/genai-finops.js ...args` from `cwd` (the repository root unless given), as `npx genai-finops` would;
 * `env`, when given, replaces the test process's environment (PATH is kept).
 */
export function runCli(args: ReadonlyArray<string>, timeoutMs = 45_000, env?: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const childEnv = env === undefined ? { ...process.env, GENAI_FINOPS_DEBUG: '' } : { PATH: process.env.PATH, ...env };
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** An event file of the handler tests. */
export function eventFile(name: string): string {
  return path.join('packages', 'local', 'events', `${name}.json`);
}
