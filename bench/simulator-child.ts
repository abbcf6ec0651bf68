import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** A Bedrock simulator running in a child process (see simulator-process.ts). */
export interface SimulatorChild {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** How long the child may take to print its endpoint: a bound that catches a hang on a busy machine. */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts the simulator in a child Node process with this process's loader flags (tsx), and waits for its endpoint.
 * `latencyMs`: the model's simulated latency (for ConverseStream, the time to its first event).
 */
export function startSimulatorChild(options: { latencyMs?: number } = {}): Promise<SimulatorChild> {
  const env = { ...process.env, BENCH_SIMULATOR_LATENCY_MS: String(options.latencyMs ?? 0) };
  const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'simulator-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.stdin.end();
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the Bedrock simulator process printed no endpoint within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, close });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Bedrock simulator process exited (${code}) before printing its endpoint`));
    });
  });
}
