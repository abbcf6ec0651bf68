/** What a local command writes to and registers with: the CLI's stdout and stderr, and its shutdown hook. */
export interface CommandIo {
  /** Writes to stdout; resolves once the text is handed to the OS. */
  readonly out: (text: string) => Promise<void>;
  /** A diagnostic line on stderr. */
  readonly log: (line: string) => void;
  /** Registers a clean-up task the CLI runs when it ends, however it ends (Ctrl-C included). */
  readonly onShutdown: (task: () => Promise<void> | void) => void;
}
