/**
 * The chat page: plain HTML and JavaScript, no framework, in the look of the demo's report page. It POSTs a message
 * to /invoke with `Accept: text/event-stream` and reads the server-sent events from the response body as they arrive
 * (fetch and a ReadableStream: EventSource cannot POST): the answer grows with each `delta`, the request's cost shows
 * at `done`, and the settled cost and the tenant's remaining budget at `settled`.
 */
import { escapeHtml } from '../../../../../reports/html/self-contained';
import type { ChatIdentity } from './chat-server';

/** The page's policy: its own inline script and style, and requests to its own origin only. */
export const CHAT_PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; background: #f4f5f7; color: #16191f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 14px; line-height: 1.45; }
header h1 { font-size: 22px; margin: 0 0 6px; }
header p { margin: 0 0 6px; max-width: 900px; color: #414750; }
main { max-width: 900px; }
.card { background: #fff; border: 1px solid #d5dbdb; border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
form { display: flex; gap: 8px; }
textarea { flex: 1; font: inherit; padding: 8px; border: 1px solid #aab7b8; border-radius: 4px; min-height: 60px; resize: vertical; }
button { font: inherit; font-weight: 600; padding: 8px 18px; border: 0; border-radius: 4px; background: #1f77b4; color: #fff; cursor: pointer; }
button:disabled { background: #aab7b8; cursor: default; }
#answer { white-space: pre-wrap; min-height: 3em; margin: 0; }
.meta { color: #687078; font-size: 12px; margin: 0 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaeded; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
.error { color: #d62728; }
footer { margin-top: 16px; color: #687078; font-size: 12px; }
`;

// The page's script: SSE parsed from the fetch body; every figure written into an element a test can read.
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const usd = (n) => '$' + Number(n).toFixed(7);
const int = (n) => Math.round(Number(n)).toLocaleString('en-US');
function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split(/\\r?\\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { event, data: data.length ? JSON.parse(data.join('\\n')) : undefined };
}
function show(event, data) {
  switch (event) {
    case 'start':
      $('model').textContent = data.model ? data.model.id + ' (' + data.model.tier + ')' : '';
      $('cache').textContent = data.cache || '';
      $('request-id').textContent = data.requestId || '';
      $('state').textContent = 'streaming';
      break;
    case 'delta':
      $('answer').textContent += data.text;
      break;
    case 'done':
      $('cost').textContent = usd(data.cost.totalUsd);
      $('cost').dataset.usd = String(data.cost.totalUsd);
      $('tokens').textContent = int(data.usage.inputTokens) + ' in / ' + int(data.usage.outputTokens) + ' out'
        + (data.usage.cacheReadInputTokens ? ' / ' + int(data.usage.cacheReadInputTokens) + ' cache read' : '');
      $('state').textContent = 'answer complete; settling';
      break;
    case 'error':
      $('error').textContent = data.error + ': ' + data.message;
      break;
    case 'settled': {
      $('settled-cost').textContent = usd(data.costUsd) + (data.estimated ? ' (estimated)' : '');
      $('settled-cost').dataset.usd = String(data.costUsd);
      // The limits after settlement: a list, or the one binding limit alone.
      const rows = [].concat(data.limits || []).map((l) => '<tr data-scope="' + l.scope + '" data-measure="' + l.measure + '" data-remaining="' + l.remaining + '"><td>'
        + l.scope + ' / ' + l.window + '</td><td>' + (l.measure === 'costUsd' ? usd(l.remaining) : int(l.remaining) + ' ' + l.measure)
        + '</td><td>' + (l.measure === 'costUsd' ? usd(l.limit) : int(l.limit) + ' ' + l.measure) + '</td></tr>');
      $('budget').innerHTML = rows.length ? rows.join('') : '<tr><td colspan="3">no usage limit applies</td></tr>';
      $('state').textContent = 'settled';
      break;
    }
  }
}
async function send(message) {
  for (const id of ['answer', 'model', 'cache', 'request-id', 'cost', 'tokens', 'settled-cost', 'error']) $(id).textContent = '';
  $('budget').innerHTML = '';
  $('state').textContent = 'waiting';
  const response = await fetch('/invoke', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ message }) });
  if (!(response.headers.get('content-type') || '').includes('text/event-stream')) {
    const body = await response.json().catch(() => ({}));
    $('error').textContent = response.status + ' ' + (body.error || '') + ': ' + (body.message || '');
    $('state').textContent = 'refused';
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split(/\\r?\\n\\r?\\n/);
    buffer = blocks.pop();
    for (const block of blocks) if (block.trim()) { const e = parseEvent(block); show(e.event, e.data); }
  }
}
$('chat').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('send').disabled = true;
  try { await send($('message').value); } catch (error) { $('error').textContent = String(error); $('state').textContent = 'failed'; }
  finally { $('send').disabled = false; }
});
`;

/** The page's HTML. */
export function buildChatPage(identity: ChatIdentity, functionName: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GenAI FinOps demo: streaming chat</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>GenAI FinOps demo: streaming chat</h1>
<p>${escapeHtml(`Each message goes to the streaming API function (${functionName}) run locally as Lambda runs it, against the Bedrock simulator `
  + 'and DynamoDB Local. The answer streams as server-sent events; the cost shows when it is complete, and the settled cost and the '
  + `tenant's remaining budget once the usage ledger has settled. Signed in as user ${identity.userId} of tenant ${identity.tenantId} (as the authorizer gives it).`)}</p>
</header>
<main>
<div class="card">
<form id="chat">
<textarea id="message" aria-label="Message">How do I reset my password?</textarea>
<button id="send" type="submit">Send</button>
</form>
</div>
<div class="card">
<p class="meta">State: <span id="state">idle</span> · Model: <span id="model"></span> · Cache: <span id="cache"></span> · Request: <span id="request-id"></span></p>
<p id="answer"></p>
<p id="error" class="error"></p>
</div>
<div class="card">
<table>
<tbody>
<tr><th>Cost of the answer (at done)</th><td id="cost"></td></tr>
<tr><th>Tokens</th><td id="tokens"></td></tr>
<tr><th>Settled cost (usage ledger)</th><td id="settled-cost"></td></tr>
</tbody>
</table>
</div>
<div class="card">
<table>
<thead><tr><th>Tenant budget</th><th>Remaining</th><th>Limit</th></tr></thead>
<tbody id="budget"></tbody>
</table>
</div>
</main>
<footer><p>Costs are the pipeline's own price of each call (the library's model catalog); no AWS account is used.</p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
