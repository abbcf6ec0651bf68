import { redirectStdout, toStderr } from '../demo/stdout-redirect';
import { invokeStreamingHandler, StreamingHandler } from '../template/lambda-streaming';

/**
 * Runs a streaming handler as `local invoke` does, the way Lambda and API Gateway's streaming integration do: stdout
 * carries the HTTP response as the client would receive it (a status line, the prelude's headers, a blank line, then
 * the payload as each chunk arrives, so server-sent events show up one by one); the handler's own stdout (logs, EMF
 * lines) goes to stderr. Exit code 0 when the handler ended its stream and resolved; 1 when it threw, left its stream
 * open or wrote no prelude (API Gateway would answer 502).
 */
export async function printStreamingInvocation(
  handler: StreamingHandler,
  event: unknown,
  context: Record<string, unknown>,
  restoreEnv: () => void,
  log: (line: string) => void,
): Promise<number> {
  // The handler's stdout is redirected while it runs; the response is written past the redirection, as it arrives.
  const stdout = process.stdout;
  const originalWrite = stdout.write.bind(stdout) as (chunk: string | Uint8Array, callback: () => void) => boolean;
  const print = (chunk: string | Uint8Array) => new Promise<void>((resolve) => {
    originalWrite(chunk, () => resolve());
  });
  const restoreStdout = redirectStdout(toStderr);
  let code = 0;
  try {
    const invocation = invokeStreamingHandler(handler, event, context);
    const prelude = await invocation.prelude;
    if (prelude.kind === 'prelude') {
      const { statusCode, headers, cookies } = prelude.head;
      const lines = [`HTTP/1.1 ${statusCode}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), ...cookies.map((c) => `set-cookie: ${c}`)];
      await print(`${lines.join('\n')}\n\n`);
    } else {
      log(`no HTTP prelude: ${prelude.reason}; API Gateway's streaming integration would answer 502. What the handler wrote follows.`);
      code = 1;
    }
    for await (const chunk of invocation.payload) await print(chunk as Buffer);
    const outcome = await invocation.completion;
    if (outcome.error) {
      log(`the handler failed: ${outcome.error.stack ?? outcome.error.message}`);
      code = 1;
    } else {
      log(`the handler returned (response stream ${outcome.stream}).`);
    }
  } finally {
    restoreStdout();
    restoreEnv();
  }
  return code;
}

/**
 * Loads a handler's module with its stdout on stderr (what a module logs at init is not the command's result);
 * a failure to load is returned, for `printInvocation` to report as Lambda's error shape.
 */
export function loadWithStdoutOnStderr<T>(load: () => T): { readonly handler: T } | { readonly error: unknown } {
  const restoreStdout = redirectStdout(toStderr);
  try {
    return { handler: load() };
  } catch (error) {
    return { error };
  } finally {
    restoreStdout();
  }
}
