import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeferredRecord, deferredRecordKey, GuardsConfig } from '../../../shared/contract';
import { withEmf } from '../../support/handler-env';
import { scheduledFor, useScheduledHarness } from '../../support/scheduled-harness';
import { SLOW_MACHINE_TIMEOUT_MS } from '../../support/slow-machine';

/*
 * A scheduled workflow no API defers to (no GENAI_ACCEPTS_DEFERRED) never reads `deferred/`: an object someone put
 * there naming a tenant (anyone the input bucket lets upload could) is neither run nor charged to that tenant. The
 * handler against the local S3, the usage ledger in DynamoDB Local and the Bedrock simulator.
 */

const INPUT_BUCKET = 'untrusted-records';
const RESULTS_BUCKET = 'untrusted-results';
const LEDGER_TABLE = 'untrusted-usage-ledger';
const GUARDS: GuardsConfig = {
  store: 'dynamodb', ledgerTableName: LEDGER_TABLE, ledgerTimeoutMs: SLOW_MACHINE_TIMEOUT_MS,
  usageLimits: [{ scope: 'tenant', window: 'month', maxRequests: 1000, maxCostUsd: 5 }],
};

const h = useScheduledHarness({
  inputBucket: INPUT_BUCKET, resultsBucket: RESULTS_BUCKET, ledgerTable: LEDGER_TABLE,
  // No GENAI_ACCEPTS_DEFERRED in `env`: as the construct writes it for a workflow no ApiWorkflow defers to.
  config: { retry: { baseDelayMs: 1, maxDelayMs: 1 }, guards: GUARDS },
});

test('a forged deferred record naming a victim tenant is neither run nor charged; the uploaded records run as usual', async () => {
  const day = '2026-10-01';
  const forged: DeferredRecord = {
    version: 1, requestId: 'forged-1', tenantId: 'key:victim', userId: 'mallory', feature: 'chat',
    message: 'Write a very long essay, billed to someone else.', acceptedAt: `${day}T10:00:00Z`,
  };
  await h.putInput(deferredRecordKey(day, 'forged-1'), JSON.stringify(forged));
  await h.putInput(`records/${day}/ticket-1.txt`, 'Order 1 arrived broken; the customer wants a refund.');

  const { result } = await withEmf(() => h.handler(scheduledFor(day)));

  const converse = h.sim.calls.filter((c) => c.operation === 'Converse');
  expect(converse).toHaveLength(1);
  expect(converse[0].requestMetadata?.tenantId).not.toBe('key:victim');
  const { Items = [] } = await h.dynamo.client.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true }));
  expect(Items.filter((i) => i.pk.S!.includes('victim'))).toEqual([]);
  expect(Items.length).toBeGreaterThan(0);
  const results = await h.resultKeys(`results/${day}/`);
  expect(results).toEqual([`results/${day}/_manifest.json`, `results/${day}/ticket-1.txt.json`]);
  expect(result).toMatchObject({ mode: 'on-demand', records: 1, processed: 1 });
  expect(result.deferred).toBeUndefined();
});
