import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './run-cli';

// `genai-finops demo chat`: the chat page served on 127.0.0.1 by the CLI, running the api-stream bundle (the code
// the construct deploys) until Ctrl-C; the page's behaviour in a browser is test/local/demo/chat/chat-page.test.ts.
let child: ChildProcess;
let stdout = '';
let stderr = '';
let url: string;
let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

beforeAll(async () => {
  child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'genai-finops.js'), 'demo', 'chat', '--tenant', 'globex'], {
    cwd: REPO_ROOT, env: { ...process.env, GENAI_FINOPS_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  exit = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /Chat page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (found) resolve(found[1]);
    });
    void exit.then(({ code }) => reject(new Error(`demo chat exited with ${code} before serving: ${stderr}`)));
  });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    await exit;
  }
});

test('serves the page, answers a chat turn with server-sent events through the bundle, and stops on Ctrl-C', async () => {
  // The page
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('tenant globex');

  // A chat turn: the prelude's status and headers, then the events up to the settlement
  const turn = await fetch(new URL('invoke', url), { method: 'POST', headers: { 'accept': 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Where is my invoice?' }) });
  expect(turn.status).toBe(200);
  expect(turn.headers.get('content-type')).toBe('text/event-stream');
  const events = (await turn.text()).match(/^event: \w+$/gm) ?? [];
  expect(events[0]).toBe('event: start');
  expect(events.slice(-2)).toEqual(['event: done', 'event: settled']);
  // The handler's EMF lines are not the command's output
  expect(stdout).not.toContain('"_aws"');

  // Ctrl-C stops the server and the local services
  child.kill('SIGINT');
  const { code, signal } = await exit;
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  await expect(fetch(url)).rejects.toThrow();
}, 120_000);
