import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockSimulator, BedrockSimulatorOptions, countTokens, startBedrockSimulator } from '../../../packages/local/src/bedrock-simulator';

/** A Bedrock Runtime client pointed at the simulator, exactly as production code builds one. */
export function clientFor(sim: BedrockSimulator, maxAttempts = 1): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sim.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // One attempt, so an injected fault reaches the test instead of being retried away.
    maxAttempts,
  });
}

const CANDIDATE_WORDS = [
  'alfa', 'bank', 'cord', 'dune', 'echo', 'fern', 'gale', 'hive', 'iris', 'jade', 'kite', 'lime', 'moss', 'nest', 'opal', 'pine',
  'rock', 'sand', 'tree', 'wind', 'blue', 'gold', 'lake', 'hill', 'road', 'farm', 'ship', 'rain', 'snow', 'star', 'moon', 'fire',
];
// Words that are one token both first and after a space: the tokenizer counts each space-led word on its own, so a
// text of n of them is exactly n tokens.
const ONE_TOKEN_WORDS = CANDIDATE_WORDS.filter((w) => countTokens(w) === 1 && countTokens(` ${w}`) === 1).slice(0, 16);

/** Text of exactly `tokens` simulator tokens (each word costs one token); `variant` changes the words. */
export function textOfTokens(tokens: number, variant = 0): string {
  const words = Array.from({ length: tokens }, (_, i) => ONE_TOKEN_WORDS[(i * 7 + variant) % ONE_TOKEN_WORDS.length]);
  const text = words.join(' ');
  if (countTokens(text) !== tokens) throw new Error(`textOfTokens produced ${countTokens(text)} tokens, wanted ${tokens}`);
  return text;
}

/** A settable clock for prompt-cache TTLs. */
export class FakeClock {
  private time = Date.UTC(2025, 0, 1);

  /** The clock function to pass as the simulator's `now` option. */
  public readonly now = (): number => this.time;

  /** Moves the clock forward. */
  public advance(ms: number): void {
    this.time += ms;
  }
}

/** Minutes in milliseconds. */
export const minutes = (n: number): number => n * 60_000;

/** Awaits `promise`, expecting it to reject, and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
  }
  throw new Error('expected the promise to reject');
}

/** A simulator and a client pointed at it; read the fields inside hooks and tests. */
export interface SimulatorUnderTest {
  readonly sim: BedrockSimulator;
  readonly client: BedrockRuntimeClient;
}

/**
 * One simulator for the enclosing block, started before its tests and closed after them; each test leaves it as it
 * found it (call log and queued faults cleared, no latency).
 */
export function useSimulator(options: BedrockSimulatorOptions = {}): SimulatorUnderTest {
  const parts = {} as { -readonly [K in keyof SimulatorUnderTest]: SimulatorUnderTest[K] };
  beforeAll(async () => {
    parts.sim = await startBedrockSimulator(options);
    parts.client = clientFor(parts.sim);
  });
  afterEach(() => {
    parts.sim.reset();
    parts.sim.setLatency(0);
  });
  afterAll(async () => {
    parts.client.destroy();
    await parts.sim.close();
  });
  return parts;
}

/** A new simulator per test, on its own {@link FakeClock}: no prompt cache or call outlives its test. */
export function useSimulatorPerTest(): SimulatorUnderTest & { readonly clock: FakeClock } {
  const parts = {} as { sim: BedrockSimulator; client: BedrockRuntimeClient; clock: FakeClock };
  beforeEach(async () => {
    parts.clock = new FakeClock();
    parts.sim = await startBedrockSimulator({ now: parts.clock.now });
    parts.client = clientFor(parts.sim);
  });
  afterEach(async () => {
    parts.client.destroy();
    await parts.sim.close();
  });
  return parts;
}
