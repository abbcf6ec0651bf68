import { redirectStdout, toStderr } from '../demo/stdout-redirect';

/**
 * Runs a bundled handler as `local invoke` does: the handler's own stdout (logs, EMF lines) goes to stderr, the
 * function's environment is put back afterwards, and stdout carries only the result as JSON — or, when the handler
 * throws, Lambda's error shape (`errorType`, `errorMessage`) with exit code 1.
 */
export async function printInvocation(
  invoke: () => Promise<unknown>,
  restoreEnv: () => void,
  out: (text: string) => Promise<void>,
  log: (line: string) => void,
): Promise<number> {
  const restoreStdout = redirectStdout(toStderr);
  let result: unknown;
  let failure: { readonly error: unknown } | undefined;
  try {
    result = await invoke();
  } catch (error) {
    failure = { error };
  } finally {
    restoreStdout();
    restoreEnv();
  }
  if (failure) {
    const error = failure.error as Error;
    log(`the handler threw: ${error?.stack ?? String(failure.error)}`);
    await out(`${JSON.stringify({ errorType: error?.name ?? 'Error', errorMessage: error?.message ?? String(failure.error) }, null, 2)}\n`);
    return 1;
  }
  await out(`${JSON.stringify(result ?? null, null, 2)}\n`);
  return 0;
}
