import type { AnswerHead, AnswerSink } from './answer';
import type { PipelineError } from './errors';
import type { StreamOutcome } from './stages/record-request';

/**
 * What a streamed answer has sent: the head once, before the first text, then the text while the client is there.
 * Once the client has left nothing more is written, and the text read meanwhile is only counted as not sent.
 */
export class StreamProgress {
  /** Whether the head (status, headers, `start`) was handed to the sink. */
  started = false;
  /** Text deltas the client was sent. */
  deltasSent = 0;

  constructor(private readonly sink: AnswerSink) {}

  async deliver(text: string, head: () => AnswerHead): Promise<void> {
    await this.open(head);
    if (this.sink.clientGone) return;
    await this.sink.delta(text);
    this.deltasSent++;
  }

  /**
   * Hands the head over if it was not yet, while the client is there. An answer with no text (an empty completion)
   * opens the response here, so that its `done` and `settled` events have a response to go to.
   */
  async open(head: () => AnswerHead): Promise<void> {
    if (this.started || this.sink.clientGone) return;
    this.started = true;
    await this.sink.start(head());
  }

  /** How the stream ended, for the record. */
  outcome(failure: PipelineError | undefined): StreamOutcome {
    return failure ? 'failed' : this.sink.clientGone ? 'client-disconnected' : 'completed';
  }
}
