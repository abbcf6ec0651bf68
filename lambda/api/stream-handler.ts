import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Writable } from 'node:stream';
import type { Answer, Settlement } from '../pipeline/answer';
import { containerPipeline } from '../composition/pipeline-runtime';
import { logError } from '../shared/log';
import { deferredAccepted } from './deferred-accepted';
import { answerDeferredResult, isDeferredRoute } from './deferred-route';
import { apiRequestOf, corsHeaders, degradedHeaders, embeddingResponse, errorResponse, json, limitHeaders } from './http';
import { RESPONSE_MARGIN_MS } from '../pipeline/stages/invoke-model';
import { EventStreamSink, ResponseWriter, wantsEventStream } from './sse';

/**
 * API Gateway proxy requests through Lambda response streaming (API Gateway REST `ResponseTransferMode: STREAM`):
 * the routes, identity, limits and refusals of the buffered `handler.ts`. `POST /invoke` with
 * `Accept: text/event-stream` answers server-sent events as the model writes (`start`, `delta`…, `done` or
 * `error`, then `settled`); any other request gets the buffered API's JSON answer, written at once.
 *
 * Either way the answer goes first: the settlement, the response-cache write and the metric run once the client has
 * every byte of it (`Answer.finish`), and the response stream ends only after them. On Node.js 24, "after your
 * handler returns or the response stream ends, Lambda no longer waits for unresolved promises" (Ending the stream):
 * a settlement after the end could be frozen and a billed call never counted. So the JSON answer is written,
 * settled, then ended; the events go `done`, settle, `settled`, end. A client that wants only the answer may close
 * after `done` (or once it has the JSON body) rather than wait for the ledger.
 *
 * A client that leaves mid-answer is no longer written to, and the model stream is read to its end: Bedrock reports
 * the usage only in the stream's last event, so stopping early would settle the call at its reservation's whole
 * bound and lose the answer for the cache; the output cap bounds what finishing costs. A slow client is the same
 * once the deadline less the time kept to settle has passed (`ResponseWriter`): it cannot hold the function to its
 * timeout with the spend unsettled. https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html
 */
export const handler = awslambda.streamifyResponse(respond);

// Time kept, after giving up on a slow client, to read what the model wrote meanwhile before its stream is cut.
const READ_THE_REST_MS = 1_000;

async function respond(event: APIGatewayProxyEvent, responseStream: Writable, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> {
  const requestId = event?.requestContext?.requestId ?? `local-${Date.now()}`;
  const cors = corsHeaders(event?.headers);
  const deadlineMs = context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() : undefined;
  // A slow client is waited for until a second before the model stream is cut: that second reads the rest of the
  // answer the wait held back (Bedrock's usage comes last), the time after it settles and records.
  const writer = new ResponseWriter(responseStream, deadlineMs === undefined ? undefined : deadlineMs - RESPONSE_MARGIN_MS - READ_THE_REST_MS);
  if (isDeferredRoute(event)) {
    await writer.whole(await answerDeferredResult(event, requestId, cors));
    return;
  }
  const sink = wantsEventStream(event) ? new EventStreamSink(writer, requestId, cors) : undefined;
  let answer: Answer;
  try {
    const request = apiRequestOf(event, requestId);
    if (request.path === 'embedding') {
      await writer.whole(await embeddingResponse(request, requestId, cors));
      return;
    }
    answer = await containerPipeline().handleAnswer(request.body, request.identity, { deadlineMs }, sink);
  } catch (error) {
    // Recorded already: a refusal before the pipeline by `apiRequestOf`, one inside it by the pipeline.
    if (sink?.started) {
      // Only a defect can throw once the answer started: end the events with an error rather than a second status.
      logError('request failed after its answer started', { requestId, error: String(error), stack: (error as Error)?.stack });
      await sink.error('INTERNAL_ERROR', 'The answer failed midway.');
      await writer.end();
      return;
    }
    await writer.whole(errorResponse(error, requestId, cors));
    return;
  }

  if (answer.result.deferred) {
    // Taken for later (202): decided before any byte, so a plain JSON answer even to an event-stream request.
    const whole = deferredAccepted(event, { ...answer.result, deferred: answer.result.deferred }, cors);
    writer.open(whole.statusCode, (whole.headers ?? {}) as Record<string, string>);
    await writer.write(whole.body);
    await settleAfterAnswer(answer, requestId);
    await writer.end();
    return;
  }
  if (!sink) {
    // The client has every byte before the settlement, and the response ends after it (see the docblock).
    const whole = json(200, answer.result, { ...cors, ...limitHeaders(answer.result.limits), ...degradedHeaders(answer.result.degraded) });
    writer.open(whole.statusCode, (whole.headers ?? {}) as Record<string, string>);
    await writer.write(whole.body);
    await settleAfterAnswer(answer, requestId);
    await writer.end();
    return;
  }
  const { result, failure } = answer;
  if (failure) {
    await sink.error(failure.code, failure.message);
  } else {
    await sink.done({ stopReason: result.stopReason, usage: result.usage, cost: result.cost, serviceTier: result.serviceTier, estimated: false });
  }
  const settlement = await settleAfterAnswer(answer, requestId);
  if (settlement) await sink.settled({ costUsd: settlement.costUsd, estimated: settlement.estimated, limits: settlement.limits });
  await writer.end();
}

// The answer was sent; nothing the client waits for fails it now (finish never throws, but a defect is logged).
async function settleAfterAnswer(answer: Answer, requestId: string): Promise<Settlement | undefined> {
  try {
    return await answer.finish();
  } catch (error) {
    logError('settlement after the answer failed', { requestId, error: String(error), stack: (error as Error)?.stack });
    return undefined;
  }
}
