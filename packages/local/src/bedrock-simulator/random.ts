import { createHash } from 'node:crypto';

/** Hex SHA-256 of the parts joined with NUL, so `('ab', 'c')` and `('a', 'bc')` differ. */
export function sha256Hex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A 32-bit seed derived from the parts' SHA-256. */
export function seedOf(...parts: string[]): number {
  return Number.parseInt(sha256Hex(...parts).slice(0, 8), 16) >>> 0;
}

/**
 * mulberry32: a tiny seeded generator. Chosen over Math.random because simulator output must be identical
 * across runs, processes and Node versions.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
