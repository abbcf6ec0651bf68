import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliRun, runCli } from './run-cli';

// `genai-finops local invoke <Function> --template ...` of a function whose handler streams
// (awslambda.streamifyResponse): run as Lambda runs it, its HTTP response printed as API Gateway's streaming
// integration would send it. The function's code is a small streaming handler staged as `cdk synth` stages an asset.
const FIXTURE = path.join(__dirname, '..', 'local', 'template', 'fixtures', 'sse-streaming-handler.js');
const ASSET_HASH = 'a'.repeat(64);

let dir: string;
let templateFile: string;
const runs: Record<string, CliRun> = {};

function eventWithBody(name: string, body: unknown): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ resource: '/invoke', path: '/invoke', httpMethod: 'POST', headers: { Accept: 'text/event-stream' }, requestContext: {}, body: JSON.stringify(body) }));
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-stream-invoke-'));
  mkdirSync(path.join(dir, `asset.${ASSET_HASH}`));
  copyFileSync(FIXTURE, path.join(dir, `asset.${ASSET_HASH}`, 'index.js'));
  templateFile = path.join(dir, 'Streaming.template.json');
  writeFileSync(templateFile, JSON.stringify({
    Resources: {
      ChatHandler: {
        Type: 'AWS::Lambda::Function',
        Properties: { Code: { S3Bucket: 'cdk-assets', S3Key: `${ASSET_HASH}.zip` }, Handler: 'index.handler', Runtime: 'nodejs22.x', Timeout: 60, MemorySize: 512 },
      },
    },
  }));
  // One at a time: each run starts DynamoDB Local's JVM.
  runs.events = await runCli(['local', 'invoke', 'ChatHandler', '--template', templateFile, '--event', eventWithBody('words', { words: ['Streams', 'arrive', 'in', 'order'] })], 120_000);
  runs.refusal = await runCli(['local', 'invoke', 'ChatHandler', '--template', templateFile, '--event', eventWithBody('refusal', { status: 429 })], 120_000);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('prints the status and the prelude\'s headers, then the server-sent events in order', () => {
  const { code, stdout, stderr } = runs.events;
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  const [head, ...body] = stdout.split('\n\n');
  expect(head.split('\n')).toEqual(['HTTP/1.1 200', 'content-type: text/event-stream', 'cache-control: no-cache', 'x-genai-request-id: fixture-1']);
  const events = body.filter((b) => b.trim() !== '').map((b) => b.split('\n')[0]);
  expect(events).toEqual(['event: start', 'event: delta', 'event: delta', 'event: delta', 'event: delta', 'event: done']);
  expect(body.filter((b) => b.startsWith('event: delta')).map((b) => JSON.parse(b.split('data: ')[1]).text).join('')).toBe('Streams arrive in order ');
});

test('the handler\'s own stdout goes to stderr, and it may run on after its stream ended', () => {
  expect(runs.events.stdout).not.toContain('settled after the stream ended');
  expect(runs.events.stderr).toContain('settled after the stream ended');
  expect(runs.events.stderr).toContain('streams its response');
});

test('a refusal prints its status, headers and JSON body', () => {
  const { code, stdout } = runs.refusal;
  expect(code).toBe(0);
  expect(stdout).toBe('HTTP/1.1 429\ncontent-type: application/json\nretry-after: 7\n\n{"error":"refused","message":"as asked"}');
});
