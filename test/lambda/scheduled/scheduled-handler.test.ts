import { attoToUsd, usdToAtto } from '../../../shared/core';
import { RESERVED_RECORD_NAMES } from '../../../lambda/scheduled/batch/marker';
import { PipelineError } from '../../../lambda/pipeline/errors';
import * as textRequest from '../../../lambda/shared/text-request';
import { usd } from '../pipeline/support';
import { event, HAIKU_45, withEmf } from '../../support/handler-env';
import { useScheduledHarness } from '../../support/scheduled-harness';

// Prices per 1M tokens (lambda/core/model-catalog.ts): short records route to Claude Haiku 4.5 through a US profile,
// the global $1 in / $5 out plus the 10% regional premium = $1.10 / $5.50.

const INPUT_BUCKET = 'support-records';
const RESULTS_BUCKET = 'support-results';

// The scheduled workflow has no response cache, hence no DynamoDB.
const h = useScheduledHarness({
  inputBucket: INPUT_BUCKET, resultsBucket: RESULTS_BUCKET,
  // The construct leaves the retry defaults; a 1 ms backoff keeps the throttling test fast.
  config: { retry: { baseDelayMs: 1, maxDelayMs: 1 } },
});

const putRecord = (key: string, text: string) => h.putInput(key, text, 'text/plain');

/** The recorded schedule event, fired at 02:00 UTC on `date` (it processes the day before). */
function scheduledAt(date: string): any {
  return { ...event('eventbridge-scheduled'), time: `${date}T02:00:00Z` };
}

const run = (e: unknown, context?: { getRemainingTimeInMillis(): number }) => withEmf(() => h.handler(e as never, context)).then((r) => r.result);
const runFailure = (e: unknown, context?: { getRemainingTimeInMillis(): number }) => run(e, context).then(() => undefined, (error: unknown) => error);

/** A Lambda context whose first `calls` reads of the remaining time find plenty left, and the later ones 10 s. */
function runningOut(calls: number): { getRemainingTimeInMillis(): number } {
  let read = 0;
  return { getRemainingTimeInMillis: () => (++read <= calls ? 600_000 : 10_000) };
}

/** The exact sum of the costs of results, as the handler sums them (integer attodollars). */
const exactSum = (results: Array<{ cost: { totalUsd: number } }>) => attoToUsd(results.reduce((sum, r) => sum + usdToAtto(r.cost.totalUsd), 0n));

describe('scheduled handler with the real SDK, a local S3 and the Bedrock simulator', () => {
  test("processes yesterday's records and writes one result per record and a manifest with the summed cost", async () => {
    // Given two records of 2026-11-27, one of the day before, and the recorded 02:00 run of 2026-11-28
    await putRecord('records/2026-11-27/ticket-1.txt', 'Order 9921 arrived broken; the customer wants a refund to their card.');
    await putRecord('records/2026-11-27/ticket-2.txt', 'Customer asks whether the warranty covers water damage on a kettle.');
    await putRecord('records/2026-11-26/ticket-0.txt', 'An older ticket that was handled the day before.');

    // When the schedule fires
    const summary = await run(event('eventbridge-scheduled'));

    // Then both records of the 27th, and only those, went through the model; the cost is what Bedrock billed
    const expectedCost = h.sim.calls.reduce((sum, c) => sum + usd(c.usage!.inputTokens, 1.1) + usd(c.usage!.outputTokens, 5.5), 0);
    expect(h.sim.calls).toHaveLength(2);
    expect(summary).toMatchObject({ day: '2026-11-27', mode: 'on-demand', records: 2, processed: 2, rejected: 0, manifestKey: 'results/2026-11-27/_manifest.json' });
    expect(summary.costUsd).toBeCloseTo(expectedCost, 12);
    expect(await h.resultKeys('results/2026-11-2')).toEqual([
      'results/2026-11-27/_manifest.json', 'results/2026-11-27/ticket-1.txt.json', 'results/2026-11-27/ticket-2.txt.json',
    ]);
  });

  test('writes each result with its answer, model, usage and cost', async () => {
    await putRecord('records/2026-11-28/ticket-3.txt', 'Customer cannot log in after changing their email address.');

    await run(scheduledAt('2026-11-29'));

    const billed = h.sim.calls[0].usage!;
    const result = await h.resultJson('results/2026-11-28/ticket-3.txt.json');
    expect(result).toMatchObject({
      source: 'records/2026-11-28/ticket-3.txt', status: 'processed', model: { id: `us.${HAIKU_45}`, tier: 'simple' },
      usage: { inputTokens: billed.inputTokens, outputTokens: billed.outputTokens },
    });
    expect(result.answer.length).toBeGreaterThan(0);
    expect(result.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, 1.1) + usd(billed.outputTokens, 5.5), 12);
  });

  test('writes a manifest whose cost and tokens are the sums over the results', async () => {
    await putRecord('records/2026-11-29/a.txt', 'First record of the day about a late delivery.');
    await putRecord('records/2026-11-29/b.txt', 'Second record of the day about a duplicate charge.');

    await run(scheduledAt('2026-11-30'));

    const [a, b] = await Promise.all([h.resultJson('results/2026-11-29/a.txt.json'), h.resultJson('results/2026-11-29/b.txt.json')]);
    const manifest = await h.resultJson('results/2026-11-29/_manifest.json');
    expect(manifest).toMatchObject({ day: '2026-11-29', records: 2, processed: 2, rejected: 0 });
    expect(manifest.costUsd).toBeCloseTo(a.cost.totalUsd + b.cost.totalUsd, 12);
    expect(manifest.inputTokens).toBe(a.usage.inputTokens + b.usage.inputTokens);
    expect(manifest.outputTokens).toBe(a.usage.outputTokens + b.usage.outputTokens);
  });

  test('reports a record over the prompt limit as rejected, without calling the model for it or charging it', async () => {
    // Given a normal record and one of 60,000 words (at least 60,000 tokens, over the 50,000 limit)
    await putRecord('records/2026-11-30/huge.txt', 'word '.repeat(60_000));
    await putRecord('records/2026-11-30/small.txt', 'A customer asks for an invoice copy.');

    const summary = await run(scheduledAt('2026-12-01'));

    expect(h.sim.calls).toHaveLength(1);
    expect(summary).toMatchObject({ records: 2, processed: 1, rejected: 1 });
    expect(await h.resultJson('results/2026-11-30/huge.txt.json')).toMatchObject({ status: 'rejected', code: 'PROMPT_TOO_LARGE' });
    const small = await h.resultJson('results/2026-11-30/small.txt.json');
    expect(summary.costUsd).toBe(small.cost.totalUsd);
  });

  test('writes an empty manifest for a day without records', async () => {
    const summary = await run(scheduledAt('2027-01-02'));

    expect(summary).toMatchObject({ day: '2027-01-01', records: 0, processed: 0, costUsd: 0 });
    expect(await h.resultJson('results/2027-01-01/_manifest.json')).toMatchObject({ records: 0, costUsd: 0 });
    expect(h.sim.calls).toEqual([]);
  });

  test('fails the run when the model stays throttled, so that Lambda retries it; the retry processes the record', async () => {
    await putRecord('records/2026-12-01/t.txt', 'A record processed while Bedrock throttles.');
    h.sim.injectFaults('throttle', 10);

    const failure = await runFailure(scheduledAt('2026-12-02'));

    expect(failure).toBeInstanceOf(PipelineError);
    expect((failure as PipelineError).status).toBe(429);
    // Nothing billed: the record's mark says the model was not reached, so the retry calls it.
    expect(await h.resultKeys('results/2026-12-01/')).toEqual(['results/2026-12-01/t.txt.json']);
    expect(await h.resultJson('results/2026-12-01/t.txt.json')).toMatchObject({ status: 'not-started', code: 'MODEL_THROTTLED' });

    h.sim.reset();
    expect(await run(scheduledAt('2026-12-02'))).toMatchObject({ records: 1, processed: 1, alreadyDone: 0 });
  });

  test('a repeated run (Lambda\'s retry, a rerun) pays for no record twice, and its manifest still totals the day', async () => {
    await putRecord('records/2026-12-02/a.txt', 'A customer asks to change the delivery address of order 77.');
    await putRecord('records/2026-12-02/b.txt', 'A customer reports a double charge on their card.');
    await putRecord('records/2026-12-02/huge.txt', 'word '.repeat(60_000));
    const first = await run(scheduledAt('2026-12-03'));
    expect(first).toMatchObject({ records: 3, processed: 2, rejected: 1, alreadyDone: 0 });
    expect(h.sim.calls).toHaveLength(2);

    // The same day again, plus a record that arrived late: only that one goes to the model.
    await putRecord('records/2026-12-02/c.txt', 'A late record about a missing invoice.');
    const second = await run(scheduledAt('2026-12-03'));

    expect(h.sim.calls).toHaveLength(3);
    expect(second).toMatchObject({ records: 4, processed: 1, rejected: 0, alreadyDone: 3 });
    const results = await Promise.all(['a', 'b', 'c'].map((n) => h.resultJson(`results/2026-12-02/${n}.txt.json`)));
    const manifest = await h.resultJson('results/2026-12-02/_manifest.json');
    expect(manifest).toEqual({ ...second, incomplete: undefined, left: undefined, collected: undefined });
    expect(manifest.costUsd).toBe(exactSum(results));
    expect(manifest.inputTokens).toBe(results.reduce((sum, r) => sum + r.usage.inputTokens, 0));
    expect(manifest.outputTokens).toBe(results.reduce((sum, r) => sum + r.usage.outputTokens, 0));
  });

  test('sends four records to the model at a time, with the manifest and its exact cost independent of the order', async () => {
    for (let i = 0; i < 9; i++) await putRecord(`records/2026-12-03/r${i}.txt`, `Record ${i}: a customer asks about invoice ${4000 + i}.`);
    // Each call waits 1 s: the first four arrive well within it even on a loaded machine, the fifth only after one ends.
    h.sim.setLatency(1_000);
    try {
      const summary = await run(scheduledAt('2026-12-04'));
      expect(summary).toMatchObject({ records: 9, processed: 9 });
    } finally {
      h.sim.setLatency(0);
    }
    // Calls that arrived while another was still being answered.
    const overlapping = h.sim.calls.map((c) => h.sim.calls.filter((o) => o.at >= c.at && o.at < c.at + 1_000).length);
    expect(Math.max(...overlapping)).toBe(4);
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => h.resultJson(`results/2026-12-03/r${i}.txt.json`)));
    expect(results.map((r) => r.source)).toEqual(Array.from({ length: 9 }, (_, i) => `records/2026-12-03/r${i}.txt`));
    expect((await h.resultJson('results/2026-12-03/_manifest.json')).costUsd).toBe(exactSum(results));
  });

  test('stops starting records when the Lambda has less than 30 s left, writes an incomplete manifest and fails; the retry finishes the day', async () => {
    for (let i = 0; i < 6; i++) await putRecord(`records/2026-12-04/r${i}.txt`, `Record ${i}: a customer asks for a refund of order ${500 + i}.`);

    // Time enough to start two records only.
    const failure = await runFailure(scheduledAt('2026-12-05'), runningOut(2));

    expect(failure).toBeInstanceOf(h.ScheduledRunIncompleteError);
    expect((failure as Error).message).toBe('The run of 2026-12-04 ran short of time with 4 of 6 records left; a retry continues where it stopped.');
    expect(h.sim.calls).toHaveLength(2);
    expect(await h.resultJson('results/2026-12-04/_manifest.json')).toMatchObject({ records: 6, processed: 2, alreadyDone: 0, incomplete: true, left: 4 });
    expect(await h.resultKeys('results/2026-12-04/')).toHaveLength(3);

    // Lambda's retry: the two records done are not paid for again.
    const summary = await run(scheduledAt('2026-12-05'), runningOut(100));

    expect(h.sim.calls).toHaveLength(6);
    expect(summary).toMatchObject({ records: 6, processed: 4, alreadyDone: 2 });
    expect(summary.incomplete).toBeUndefined();
    const manifest = await h.resultJson('results/2026-12-04/_manifest.json');
    expect(manifest.incomplete).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => h.resultJson(`results/2026-12-04/r${i}.txt.json`)));
    expect(manifest.costUsd).toBe(exactSum(results));
  });

  test('a connection reset after the model ran (billed, no answer): the run fails, and the retry does not pay for the record again', async () => {
    await putRecord('records/2026-12-06/r.txt', 'A record whose answer is lost on the way back.');
    h.sim.injectFaults('connection-reset', 1);

    const failure = await runFailure(scheduledAt('2026-12-07'));

    expect(failure).toBeInstanceOf(PipelineError);
    expect((failure as PipelineError).code).toBe('MODEL_CONNECTION_LOST');
    // The mark stays: the model may have billed the call.
    expect(await h.resultJson('results/2026-12-06/r.txt.json')).toMatchObject({ status: 'invoking' });

    const retry = await run(scheduledAt('2026-12-07'));

    // Billed once (the simulator ran the model once), recorded as not saved rather than bought again.
    expect(h.sim.calls).toHaveLength(1);
    expect(h.sim.calls[0].usage).toBeDefined();
    expect(retry).toMatchObject({ records: 1, processed: 0, unsaved: 1 });
    expect(await h.resultJson('results/2026-12-06/r.txt.json')).toMatchObject({ status: 'failed', code: 'RESULT_NOT_SAVED' });
  });

  test('a failure before the model call that is not a pipeline error (a client error) clears the mark: the retry processes the record', async () => {
    await putRecord('records/2026-12-07/r.txt', 'A record met by a client error before its model call.');
    const clientError = new TypeError("Cannot read properties of undefined (reading 'send')");
    const spy = jest.spyOn(textRequest, 'runTextRequest').mockRejectedValueOnce(clientError);
    try {
      const failure = await runFailure(scheduledAt('2026-12-08'));

      expect(failure).toBe(clientError);
      expect(h.sim.calls).toHaveLength(0);
      expect(await h.resultJson('results/2026-12-07/r.txt.json')).toMatchObject({ status: 'not-started', code: 'TypeError' });

      const retry = await run(scheduledAt('2026-12-08'));

      expect(retry).toMatchObject({ records: 1, processed: 1 });
      expect(h.sim.calls).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('rejects records named after the day\'s control files, and writes no result over them', async () => {
    for (const name of RESERVED_RECORD_NAMES) await putRecord(`records/2026-12-05/${name}`, `A record named ${name}.`);
    await putRecord('records/2026-12-05/ok.txt', 'A record with an ordinary name.');

    const summary = await run(scheduledAt('2026-12-06'));

    expect(h.sim.calls).toHaveLength(1);
    expect(summary).toMatchObject({ records: 4, processed: 1, rejected: 3 });
    expect(await h.resultKeys('results/2026-12-05/')).toEqual(['results/2026-12-05/_manifest.json', 'results/2026-12-05/ok.txt.json']);
    expect(await h.resultJson('results/2026-12-05/_manifest.json')).toMatchObject({ mode: 'on-demand', records: 4, processed: 1, rejected: 3 });
    expect(h.logs.lines()).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'records/2026-12-05/_batch', code: 'RESERVED_NAME' })]));
  });
});
