import { eventFrame, exceptionFrame } from './event-stream';
import { StreamFault, streamException } from './faults';
import { countTokens } from './tokenizer';
import { StreamSink } from './transport';
import { SimulatedStream, SimulatedUsage } from './types';

// Bedrock streams a few tokens per delta; a few words per delta keeps the deltas many and small, and splitting only
// before whitespace keeps each delta whole pre-tokens, so the tokens sent so far are exactly the count of their text.
const WORDS_PER_DELTA = 3;

/** How a streamed answer ended: what to record for it. */
export interface StreamEnd {
  /** What was billed: the whole usage when completed, else the input and the output tokens sent. */
  readonly usage: SimulatedUsage;
  /** How the stream ended and what it sent. */
  readonly stream: SimulatedStream;
  /** The exception's shape name, when an exception event ended the stream. */
  readonly errorType?: string;
}

/** The text cut at word boundaries into the deltas a stream sends, in order; they concatenate to `text`. */
export function splitIntoDeltas(text: string): string[] {
  const words = text.match(/\s*\S+/g) ?? [];
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_DELTA) deltas.push(words.slice(i, i + WORDS_PER_DELTA).join(''));
  // Trailing whitespace belongs to no word; keep it so the deltas still join to the text.
  const rest = text.slice(deltas.join('').length);
  if (rest.length > 0) deltas.push(rest);
  return deltas;
}

/**
 * Writes a Converse answer (the body `converse()` produced) as ConverseStream's events: `messageStart`, the text in
 * `contentBlockDelta`s, `contentBlockStop`, `messageStop` and `metadata` (usage, metrics, service tier), unless a
 * fault or the client's departure ends it first.
 */
export async function writeConverseStream(
  sink: StreamSink, body: Record<string, unknown>, usage: SimulatedUsage, fault?: StreamFault,
  /** Awaited before each text delta after the first: a model's pace between tokens. */
  pace?: () => Promise<void>,
): Promise<StreamEnd> {
  const output = body.output as { message: { content: Array<{ text: string }> } };
  const text = output.message.content.map((block) => block.text).join('');
  const deltas = splitIntoDeltas(text);
  let deltasSent = 0;
  const end = (outcome: SimulatedStream['outcome'], errorType?: string): StreamEnd => {
    const textSent = deltas.slice(0, deltasSent).join('');
    const complete = outcome === 'completed';
    const outputTokens = complete ? usage.outputTokens : countTokens(textSent);
    return {
      usage: { ...usage, outputTokens, totalTokens: usage.totalTokens - usage.outputTokens + outputTokens },
      stream: { outcome, deltasSent, textSent, usageReported: complete },
      ...(errorType ? { errorType } : {}),
    };
  };
  const strike = async (struck: StreamFault): Promise<StreamEnd> => {
    if (struck.kind === 'connection-drop') {
      sink.drop();
      return end('dropped');
    }
    if (struck.kind === 'stall') {
      // Nothing more is sent; the simulator only learns that the client gave up when it leaves.
      await sink.gone;
      return end('client-disconnected');
    }
    const exception = streamException(struck.kind);
    if (!(await sink.write(exceptionFrame(exception.exceptionType, exception.payload)))) return end('client-disconnected');
    return end('exception', exception.errorType);
  };

  if (!(await sink.write(eventFrame('messageStart', { role: 'assistant' })))) return end('client-disconnected');
  for (const delta of deltas) {
    if (fault && fault.afterDeltas === deltasSent) return strike(fault);
    if (pace && deltasSent > 0) await pace();
    if (!(await sink.write(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: delta } })))) return end('client-disconnected');
    deltasSent++;
  }
  if (fault) return strike(fault);
  for (const [type, payload] of streamTail(body)) {
    if (!(await sink.write(eventFrame(type, payload)))) return end('client-disconnected');
  }
  return end('completed');
}

/** The events after the text: the block's and the message's stop, then the usage Converse reports in its body. */
function streamTail(body: Record<string, unknown>): Array<[string, Record<string, unknown>]> {
  return [
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['messageStop', { stopReason: body.stopReason }],
    ['metadata', { usage: body.usage, metrics: body.metrics, ...(body.serviceTier !== undefined ? { serviceTier: body.serviceTier } : {}) }],
  ];
}
