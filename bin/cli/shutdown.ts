/**
 * Stopping what the CLI started, whatever way it ends: normally, on an error, or on Ctrl-C / SIGTERM.
 */
const tasks: Array<() => Promise<void> | void> = [];
let interruptedBy: NodeJS.Signals | undefined;

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Registers a clean-up task; tasks run last-registered first. */
export function onShutdown(task: () => Promise<void> | void): void {
  tasks.push(task);
}

/** Runs every registered task once, reporting failures on stderr without stopping the others. */
export async function runShutdownTasks(): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    try {
      await task();
    } catch (error) {
      process.stderr.write(`genai-finops: while stopping: ${(error as Error)?.message ?? String(error)}\n`);
    }
  }
}

/** The signal that interrupted the command, if one did. */
export function interruptedSignal(): NodeJS.Signals | undefined {
  return interruptedBy;
}

/**
 * On SIGINT, SIGTERM or SIGHUP: stop everything, then exit with 128 + the signal number. A second signal while
 * stopping exits at once (child processes are still killed by their own exit hooks).
 */
export function installSignalHandlers(): void {
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[]) {
    process.on(signal, () => {
      const code = SIGNAL_EXIT_CODES[signal]!;
      if (interruptedBy) process.exit(code);
      interruptedBy = signal;
      process.stderr.write(`\ngenai-finops: ${signal} received, stopping the local services ...\n`);
      void runShutdownTasks().finally(() => process.exit(code));
    });
  }
}
