import { EventStreamCodec } from '@smithy/core/event-streams';
import { splitIntoDeltas, writeConverseStream } from '../../../packages/local/src/bedrock-simulator/converse-stream';
import type { StreamSink } from '../../../packages/local/src/bedrock-simulator/transport';

// The simulated model's pace (`streamDeltaDelayMs`, `setStreamDeltaDelay`): a pause before every text delta after
// the first, so that a streamed answer reaches its client over many reads (the demo chat's page shows it growing).
const codec = new EventStreamCodec((bytes) => Buffer.from(bytes).toString('utf8'), (text) => new Uint8Array(Buffer.from(text, 'utf8')));
const TEXT = 'One two three four five six seven eight nine ten eleven twelve thirteen.';
const BODY = {
  output: { message: { role: 'assistant', content: [{ text: TEXT }] } }, stopReason: 'end_turn',
  usage: { inputTokens: 3, outputTokens: 14, totalTokens: 17 }, metrics: { latencyMs: 0 },
};

test('the pace is awaited before each text delta after the first, between the deltas, and nowhere else', async () => {
  // Given a sink that records each event's type and the pauses between them
  const order: string[] = [];
  const sink: StreamSink = {
    disconnected: false,
    gone: new Promise(() => undefined),
    write: async (chunk) => {
      order.push(String(codec.decode(chunk).headers[':event-type'].value));
      return true;
    },
    drop: () => undefined,
  };

  // When an answer is written with a pace
  const end = await writeConverseStream(sink, BODY, { ...BODY.usage, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, undefined, async () => {
    order.push('pause');
  });

  // Then every delta but the first follows a pause, and the answer is the same as without one
  const deltas = splitIntoDeltas(TEXT).length;
  expect(deltas).toBeGreaterThan(2);
  expect(order).toEqual([
    'messageStart', 'contentBlockDelta', ...Array.from({ length: deltas - 1 }, () => ['pause', 'contentBlockDelta']).flat(),
    'contentBlockStop', 'messageStop', 'metadata',
  ]);
  expect(end.stream).toMatchObject({ outcome: 'completed', deltasSent: deltas, textSent: TEXT });
});
