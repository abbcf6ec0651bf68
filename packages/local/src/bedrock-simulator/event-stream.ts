import { EventStreamCodec } from '@smithy/core/event-streams';

// The codec the AWS SDK itself decodes event streams with, so the frames (prelude, headers, both CRC32s) are exactly
// what the SDK expects; hand-written framing would only test itself.
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

/** The content type of an AWS event-stream response body. */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

/**
 * One event of a restJson1 event stream: `:event-type` names the union member (e.g. `contentBlockDelta`) and the body
 * is that member's structure as JSON.
 */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return jsonFrame('event', eventType, payload);
}

/**
 * A modeled error sent inside the stream after it began: `:exception-type` names the union member (e.g.
 * `throttlingException`); the SDK raises it, as its shape (ThrottlingException, ...), from the stream's iterator.
 */
export function exceptionFrame(exceptionType: string, payload: Record<string, unknown>): Uint8Array {
  return jsonFrame('exception', exceptionType, payload);
}

/** A message whose `:<message-type>-type` header names the union member and whose body is the member as JSON. */
function jsonFrame(messageType: 'event' | 'exception', member: string, payload: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [`:${messageType}-type`]: { type: 'string', value: member },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}
