/**
 * Run as a child process (`node --expose-gc --import tsx`) by refused-prompts-memory.test.ts: sends the real API
 * handler prompts that are refused with 413 and prints, as one JSON line, the heap kept after a full collection
 * before and after them. The environment (GENAI_PIPELINE_CONFIG and the rest) is set by the parent.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler } from '../../../lambda/api/handler';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const REQUESTS = Number(process.env.REFUSED_REQUESTS ?? 64);
const MESSAGE_CHARS = Number(process.env.REFUSED_MESSAGE_CHARS ?? 900_000);

function retainedHeap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** A prompt of its own per request (no two alike), of two-byte characters: what a heap keeps at its largest. */
function message(i: number): string {
  const unit = `Überprüfe Anfrage ${i} – `;
  return unit.repeat(Math.ceil(MESSAGE_CHARS / unit.length)).slice(0, MESSAGE_CHARS);
}

function apiEvent(i: number): APIGatewayProxyEvent {
  return {
    resource: '/invoke', path: '/invoke', httpMethod: 'POST', headers: {}, isBase64Encoded: false,
    requestContext: { requestId: `refused-${i}`, identity: { user: 'AROAEXAMPLE:app', userArn: 'arn:aws:sts::111122223333:assumed-role/app/session' } },
    body: JSON.stringify({ message: message(i), tenantId: 'tenant-refused' }),
  } as unknown as APIGatewayProxyEvent;
}

async function main(): Promise<void> {
  // Warm the container (configuration, clients, code) so that the baseline holds what every request shares.
  const statuses: number[] = [(await handler(apiEvent(-1))).statusCode];
  const before = retainedHeap();
  for (let i = 0; i < REQUESTS; i++) statuses.push((await handler(apiEvent(i))).statusCode);
  const after = retainedHeap();
  process.stdout.write(`${JSON.stringify({ before, after, statuses })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
