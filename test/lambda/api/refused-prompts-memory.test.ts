import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { rememberedBoundFootprint } from '../../../shared/core';
import { handler } from '../../../lambda/api/handler';
import { resetContainer } from '../../../lambda/composition/pipeline-runtime';
import { captureLogs, event, GENAI_TAGS, pipelineConfigJson, setHandlerEnv, withEmf } from '../../support/handler-env';

// Refused work must cost no memory: a prompt refused with 413 (over maxInputTokens) must not stay reachable once
// its request is answered. Measured by what the process retains, not by time.

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PROBE = path.join(__dirname, 'refused-prompts-heap.ts');
const REQUESTS = 64;
// 900,000 two-byte characters: 1.8 MB of heap each, about 257,000 estimated tokens, over the 50,000 default limit.
const MESSAGE_CHARS = 900_000;

interface HeapProbe {
  readonly before: number;
  readonly after: number;
  readonly statuses: number[];
}

/** Runs the probe in a process of its own, with the collector exposed and the handler's environment. */
function runProbe(): Promise<HeapProbe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        GENAI_PIPELINE_CONFIG: pipelineConfigJson(),
        GENAI_TAGS: JSON.stringify(GENAI_TAGS),
        POWERTOOLS_METRICS_NAMESPACE: 'GenAI/FinOps',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        REFUSED_REQUESTS: String(REQUESTS),
        REFUSED_MESSAGE_CHARS: String(MESSAGE_CHARS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      // The handler writes its EMF records to stdout too; the probe's figures are the line that has them.
      const line = stdout.split('\n').find((l) => l.startsWith('{"before":'));
      if (code !== 0 || !line) reject(new Error(`probe exited with ${code}: ${stderr.slice(-2_000)}`));
      else resolve(JSON.parse(line) as HeapProbe);
    });
  });
}

describe('prompts refused with 413 keep no memory', () => {
  test(`${REQUESTS} refused prompts of ${MESSAGE_CHARS.toLocaleString('en-US')} characters leave the retained heap within 16 MB`, async () => {
    // When 64 distinct prompts, each over the input limit, reach the real API handler in one container
    const { before, after, statuses } = await runProbe();

    // Then every one was refused, and after a full collection the heap holds less than 16 MB more than before
    // (a memo keyed by the prompts' text kept 113 MB: 64 x 1.8 MB)
    expect(statuses).toEqual(Array(REQUESTS + 1).fill(413));
    expect(after - before).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);

  test("the bound memo keeps digests, not the prompts' text", async () => {
    // Given the handler in this process
    const restore = setHandlerEnv({ bedrock: 'http://127.0.0.1:9' }, { GENAI_PIPELINE_CONFIG: pipelineConfigJson() });
    const logs = captureLogs();
    resetContainer();
    try {
      // When 8 prompts of about 360,000 characters each are refused
      const base = event('api-gateway-proxy');
      for (let i = 0; i < 8; i++) {
        const body = JSON.stringify({ message: `refused prompt ${i} `.repeat(20_000), tenantId: 'tenant-refused' });
        const { result } = await withEmf(() => handler({ ...base, body }));
        expect(result.statusCode).toBe(413);
      }

      // Then the memo's keys hold 44 characters (a base64 SHA-256) per entry, whatever the prompts' length
      const { entries, keyChars } = rememberedBoundFootprint();
      expect(entries).toBeGreaterThanOrEqual(8);
      expect(keyChars).toBe(entries * 44);
    } finally {
      logs.restore();
      resetContainer();
      restore();
    }
  });
});
