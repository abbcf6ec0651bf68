import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventFile, runCli } from './run-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-cli-'));
  writeFileSync(path.join(dir, 'broken.json'), '{"path": "/invoke", ');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)/m);

describe('genai-finops usage', () => {
  test('--help prints the commands on stdout and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage:');
    expect(run.stdout).toContain('demo');
    expect(run.stdout).toContain('local invoke');
  });

  test('each command has its own help', async () => {
    const [demo, invoke] = await Promise.all([runCli(['demo', '--help']), runCli(['local', 'invoke', '--help'])]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('--requests N');
    expect(invoke.code).toBe(0);
    expect(invoke.stdout).toContain('--workflow');
    expect(invoke.stdout).toContain('--event FILE');
  });

  test.each([
    [['deploy'], "unknown command 'deploy'"],
    [[], 'Usage:'],
    [['local', 'invoke', '--workflow', 'api'], 'missing --event'],
    [['local', 'invoke', '--event', eventFile('api-gateway-proxy')], 'missing --workflow'],
    [['local', 'invoke', '--workflow', 'batch', '--event', eventFile('api-gateway-proxy')], '--workflow must be one of api, document, scheduled'],
    [['local', 'invoke', '--workflow', 'api', '--event', 'no/such/event.json'], "cannot read the event file 'no/such/event.json'"],
    [['local', 'frobnicate'], "unknown subcommand 'local frobnicate'"],
    [['demo', '--requests', 'many'], '--requests must be a whole number'],
    [['demo', '--colour'], "unknown option '--colour'"],
  ])('%j is a usage error: exit 2 with a message', async (args, message) => {
    const run = await runCli(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
    noStackTrace(run.stderr);
  });

  test('an event that is not JSON is a usage error naming the file', async () => {
    const file = path.join(dir, 'broken.json');
    const run = await runCli(['local', 'invoke', '--workflow', 'api', '--event', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`the event file '${file}' is not valid JSON`);
    expect(run.stdout).toBe('');
    noStackTrace(run.stderr);
  });
});
