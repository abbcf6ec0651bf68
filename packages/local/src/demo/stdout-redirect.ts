/**
 * Lambda functions write EMF metric lines (Powertools Metrics) and `console.log` output to stdout. Locally, stdout
 * belongs to the CLI's result, so while a handler runs its stdout writes go elsewhere: to stderr for
 * `local invoke`, to a counter for the demo.
 *
 * Works for `console.log` and for Powertools' own `Console`, because both call `process.stdout.write` at write
 * time rather than holding on to the original method.
 */
type Write = typeof process.stdout.write;
type Callback = (error?: Error | null) => void;

/** Sends every `process.stdout.write` to `sink` until the returned function is called. */
export function redirectStdout(sink: (chunk: string | Uint8Array, encoding: BufferEncoding | undefined, callback: Callback | undefined) => void): () => void {
  const stdout = process.stdout;
  const original = stdout.write;
  const replacement = function write(chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const cb = typeof encoding === 'function' ? encoding : callback;
    sink(chunk, typeof encoding === 'string' ? encoding : undefined, cb);
    return true;
  };
  stdout.write = replacement as Write;
  return () => {
    if (stdout.write === (replacement as Write)) stdout.write = original;
  };
}

/** A sink that writes to stderr. */
export function toStderr(chunk: string | Uint8Array, encoding: BufferEncoding | undefined, callback: Callback | undefined): void {
  if (encoding) process.stderr.write(chunk, encoding, callback);
  else process.stderr.write(chunk, callback);
}

/** A sink that drops what is written: handler output the command does not show. */
export function discard(_chunk: string | Uint8Array, _encoding: BufferEncoding | undefined, callback: Callback | undefined): void {
  if (callback) process.nextTick(callback);
}

/** A sink that passes each EMF record line (`{"_aws":...}`) to `onLine` and drops the rest. */
export function emfLines(onLine: (line: string) => void) {
  return (chunk: string | Uint8Array, _encoding: BufferEncoding | undefined, callback: Callback | undefined): void => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{"_aws"')) onLine(line);
    if (callback) process.nextTick(callback);
  };
}
