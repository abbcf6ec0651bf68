import { ScanCommand } from '@aws-sdk/client-dynamodb';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LEDGER_TABLE } from '../../../../shared/contract';
import { ChatDeployment, DEFAULT_CHAT_IDENTITY, RunningChat, runChat } from '../../../../packages/local/src/demo/chat/run-chat';
import { TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT } from '../../../../packages/local/src/demo/guardrail-settings';
import { launchChromium } from '../../../../packages/local/src/demo/html/chromium';
import { LocalStack, startLocalStack } from '../../../../packages/local/src/demo/local-stack';
import { emfLines, redirectStdout } from '../../../../packages/local/src/demo/stdout-redirect';
import { installAwsLambdaGlobal, StreamingOutcome } from '../../../../packages/local/src/template/lambda-streaming';

// The demo's chat page in real headless Chromium: the library's streaming API function (an ApiWorkflow with
// responseStreaming, its bundle and the environment its template gives), run as Lambda runs it against the Bedrock
// simulator and DynamoDB Local, its answer streamed to the page; the figures the page shows against the ledger's.

// The simulated model's pause between text deltas: the answer arrives over many reads, as a model's does.
const DELTA_DELAY_MS = 30;
const ATTO_PER_USD = 10n ** 18n;
const SCREENSHOT = path.join(os.tmpdir(), 'genai-finops-chat-page.png');

let stack: LocalStack;
let chat: RunningChat;
let browser: Browser;
let page: Page;
let restoreStdout: () => void;
const records: Array<Record<string, unknown>> = [];
const outcomes: Array<{ requestId: string; outcome: StreamingOutcome }> = [];

beforeAll(async () => {
  // First, so that a missing Chromium fails at once, with what to install.
  browser = await launchChromium();
  const deployment = ChatDeployment.synthesize();
  stack = await startLocalStack({ modelAliases: deployment.modelAliases() });
  stack.simulator.setStreamDeltaDelay(DELTA_DELAY_MS);
  // The handler's EMF records (its spend records), as CloudWatch would receive them.
  restoreStdout = redirectStdout(emfLines((line) => records.push(JSON.parse(line) as Record<string, unknown>)));
  chat = await runChat({
    stack, deployment, onInvocationEnd: (requestId, outcome) => outcomes.push({ requestId, outcome }),
    // The handler's source, a fresh module as a new container loads it (jest cannot run the bundle's dynamic import()).
    loadHandler: () => {
      installAwsLambdaGlobal();
      let handler: unknown;
      jest.isolateModules(() => {
        handler = (require('../../../../lambda/api/stream-handler') as { handler: unknown }).handler;
      });
      return handler;
    },
  });
  page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.goto(chat.server.url);
}, 180_000);

afterAll(async () => {
  restoreStdout?.();
  await browser?.close();
  await chat?.stop();
  await stack?.stop();
});

/** The ledger's counters of the chat tenant's `tenant` scope, summed over windows and shards. */
async function tenantLedger(): Promise<{ tokens: number; costAtto: bigint }> {
  let tokens = 0;
  let costAtto = 0n;
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const scanned = await stack.dynamodb.send(new ScanCommand({ TableName: chat.ledgerTable, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of scanned.Items ?? []) {
      const pk = item[LEDGER_TABLE.partitionKey]?.S ?? '';
      if (!pk.startsWith('tenant#') || !pk.includes(encodeURIComponent(DEFAULT_CHAT_IDENTITY.tenantId))) continue;
      tokens += Number(item.tokens?.N ?? 0);
      costAtto += BigInt(item.costAtto?.N ?? '0');
    }
    start = scanned.LastEvaluatedKey;
  } while (start);
  return { tokens, costAtto };
}

const usd = (atto: bigint) => Number(atto) / Number(ATTO_PER_USD);
const spendRecordsOf = (requestId: string) => records.filter((r) => r.requestId === requestId && typeof r.CostUSD === 'number');

describe('the chat page', () => {
  let states: Array<{ answer: string; cost: string }>;
  let shown: { answer: string; costUsd: number; settledUsd: number; remaining: Array<{ scope: string; measure: string; remaining: number }>; error: string };
  let ledgerBefore: { tokens: number; costAtto: bigint };
  let ledgerAfter: { tokens: number; costAtto: bigint };

  beforeAll(async () => {
    ledgerBefore = await tenantLedger();
    // Every state the answer's text goes through, with what the cost cell said at that moment (runs in the page).
    await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const w = globalThis as any;
      w.answerStates = [];
      const answer = doc.getElementById('answer');
      new w.MutationObserver(() => w.answerStates.push({ answer: answer.textContent, cost: doc.getElementById('cost').textContent }))
        .observe(answer, { childList: true, characterData: true, subtree: true });
    });
    await page.fill('#message', 'How do I reset my password? My account is locked after too many attempts.');
    await page.click('#send');
    await page.waitForFunction(() => ['settled', 'refused', 'failed'].includes((globalThis as any).document.getElementById('state').textContent), null, { timeout: 60_000 });
    await chat.server.idle();
    ledgerAfter = await tenantLedger();
    states = await page.evaluate(() => (globalThis as any).answerStates);
    shown = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      return {
        answer: doc.getElementById('answer').textContent,
        costUsd: Number(doc.getElementById('cost').dataset.usd),
        settledUsd: Number(doc.getElementById('settled-cost').dataset.usd),
        remaining: [...doc.querySelectorAll('#budget tr[data-scope]')].map((row: any) => ({
          scope: row.dataset.scope, measure: row.dataset.measure, remaining: Number(row.dataset.remaining),
        })),
        error: doc.getElementById('error').textContent,
      };
    });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 120_000);

  test('streams the answer: its first words are on the page before its last, and before the cost', () => {
    expect(shown.error).toBe('');
    const partial = [...new Set(states.map((s) => s.answer))].filter((text) => text !== '' && text !== shown.answer);
    // At least one state between nothing and the whole answer, each the start of the answer
    expect(partial.length).toBeGreaterThanOrEqual(1);
    for (const text of partial) expect(shown.answer.startsWith(text)).toBe(true);
    expect(states.find((s) => s.answer !== '')?.cost).toBe('');
    expect(shown.answer.length).toBeGreaterThan(partial[0].length);
  });

  test('the cost shown at done equals the settled cost, the spend record\'s and what the ledger added', () => {
    const [{ requestId }] = outcomes;
    const [record] = spendRecordsOf(requestId);
    expect(spendRecordsOf(requestId)).toHaveLength(1);
    expect(shown.costUsd).toBeGreaterThan(0);
    expect(shown.settledUsd).toBe(shown.costUsd);
    expect(record.CostUSD).toBe(shown.settledUsd);
    expect(usd(ledgerAfter.costAtto - ledgerBefore.costAtto)).toBeCloseTo(shown.settledUsd, 12);
  });

  test('the tenant\'s remaining budget shown equals the ledger\'s figures', () => {
    // The limits the settled event gives (at least the binding one: the tenant's USD per day), each against the ledger
    const tenant = shown.remaining.filter((r) => r.scope === 'tenant');
    expect(tenant.map((r) => r.measure)).toContain('costUsd');
    for (const { measure, remaining } of tenant) {
      if (measure === 'costUsd') expect(remaining).toBeCloseTo(TENANT_USD_LIMIT - usd(ledgerAfter.costAtto), 12);
      else expect(remaining).toBe(TENANT_TOKEN_LIMIT - ledgerAfter.tokens);
    }
  });
});

describe('a browser that disconnects midway', () => {
  test('the handler sees its stream destroyed, and the request is settled exactly once, to what the model billed', async () => {
    // Given the ledger and the call log before the turn
    const before = await tenantLedger();
    const callsBefore = stack.simulator.calls.length;
    const turnsBefore = outcomes.length;

    // When the page aborts its request once the first delta has arrived
    const received = await page.evaluate(async () => {
      const controller = new AbortController();
      const response = await fetch('/invoke', {
        method: 'POST', headers: { 'content-type': 'application/json', 'accept': 'text/event-stream' },
        body: JSON.stringify({ message: 'Explain in detail how billing works for annual plans with several seats.' }), signal: controller.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        text += read.value;
        if (text.includes('event: delta')) break;
      }
      controller.abort();
      return text;
    });
    await chat.server.idle();
    const after = await tenantLedger();

    // Then the invocation ran to its end with its stream destroyed (never finished)
    expect(received).toContain('event: start');
    expect(received).not.toContain('event: done');
    expect(outcomes).toHaveLength(turnsBefore + 1);
    const { requestId, outcome } = outcomes[turnsBefore];
    expect(outcome).toEqual({ stream: 'destroyed' });
    // One model call, one spend record, and the ledger moved by that record's cost: settled once, not left reserved
    const calls = stack.simulator.calls.slice(callsBefore);
    expect(calls.map((c) => c.operation)).toEqual(['ConverseStream']);
    const spend = spendRecordsOf(requestId);
    expect(spend).toHaveLength(1);
    expect(spend[0].CostUSD).toBeGreaterThan(0);
    expect(usd(after.costAtto - before.costAtto)).toBeCloseTo(spend[0].CostUSD as number, 12);
  }, 120_000);
});
