/**
 * Simulated latency as timers, so waiting never blocks the event loop, and so that close() can release
 * every pending wait instead of leaving timers that keep the process (or a jest worker) alive.
 */
export class Delays {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  /** Resolves after `ms` milliseconds, or at once when `ms` is 0. */
  public wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  /** Ends every pending wait now. */
  public releaseAll(): void {
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve();
    }
    this.pending.clear();
  }
}
