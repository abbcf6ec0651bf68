import { CachePointMark, CacheTtl } from './prompt';

const TTL_MS: Record<CacheTtl, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };
// Sweeping on every request would make large test suites quadratic; only sweep once the map is big.
const SWEEP_THRESHOLD = 1_000;

/** Cache tokens of one request, per Bedrock's usage fields. */
export interface CacheOutcome {
  /** Tokens served from the cache (`cacheReadInputTokens`). */
  readonly readTokens: number;
  /** Tokens written to the cache (`cacheWriteInputTokens`). */
  readonly writeTokens: number;
  /** Written tokens per TTL (`cacheDetails`), 1h before 5m as Bedrock sorts them; empty when nothing was written. */
  readonly details: ReadonlyArray<{ readonly ttl: CacheTtl; readonly inputTokens: number }>;
}

interface Entry {
  expiresAt: number;
  readonly ttlMs: number;
}

/**
 * Bedrock's prompt cache: entries keyed by model and prefix, each living for its TTL after the last
 * write or read.
 */
export class PromptCache {
  private readonly entries = new Map<string, Entry>();

  /** @param now clock in epoch milliseconds */
  public constructor(private readonly now: () => number) {}

  /**
   * Applies a request's cache points. The longest prefix still cached is read (and its TTL refreshed);
   * every later cache point whose prefix reaches `minimumTokens` writes the tokens between it and the
   * previous cached position. Cache points below `minimumTokens` are ignored, as Bedrock does silently.
   */
  public apply(modelKey: string, points: ReadonlyArray<CachePointMark>, minimumTokens: number): CacheOutcome {
    const now = this.now();
    if (this.entries.size > SWEEP_THRESHOLD) this.sweep(now);
    const eligible = points.filter((p) => p.prefixTokens >= minimumTokens);

    let hitIndex = -1;
    for (let i = eligible.length - 1; i >= 0 && hitIndex < 0; i--) {
      const entry = this.live(modelKey, eligible[i], now);
      if (entry) {
        entry.expiresAt = now + entry.ttlMs;
        hitIndex = i;
      }
    }
    const readTokens = hitIndex >= 0 ? eligible[hitIndex].prefixTokens : 0;

    let covered = readTokens;
    const written: Record<CacheTtl, number> = { '1h': 0, '5m': 0 };
    for (const point of eligible.slice(hitIndex + 1)) {
      if (point.prefixTokens <= covered) continue;
      written[point.ttl] += point.prefixTokens - covered;
      covered = point.prefixTokens;
      this.entries.set(key(modelKey, point), { expiresAt: now + TTL_MS[point.ttl], ttlMs: TTL_MS[point.ttl] });
    }
    const details = (['1h', '5m'] as const).filter((ttl) => written[ttl] > 0).map((ttl) => ({ ttl, inputTokens: written[ttl] }));
    return { readTokens, writeTokens: written['1h'] + written['5m'], details };
  }

  /** Forgets every entry. */
  public clear(): void {
    this.entries.clear();
  }

  private live(modelKey: string, point: CachePointMark, now: number): Entry | undefined {
    const k = key(modelKey, point);
    const entry = this.entries.get(k);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(k);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [k, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(k);
  }
}

function key(modelKey: string, point: CachePointMark): string {
  return `${modelKey}\u0000${point.prefixHash}`;
}
