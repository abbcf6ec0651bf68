/** The largest denominator a share is read with: a share is exact to a millionth, and n × numerator stays exact. */
const MAX_DENOMINATOR = 1_000_000;

interface FeatureCount {
  /** The trip being counted: a new trip (another opening time) starts a new count. */
  readonly trip: string;
  /** Requests offered under that trip, in this container. */
  offered: number;
}

/**
 * Deterministic thinning of a tripped feature's requests, per container and feature: request n of a trip is admitted
 * iff ⌈n·share⌉ > ⌈(n−1)·share⌉. So the first request of a trip passes (a feature with a trickle of traffic is not
 * silenced), and of any n requests exactly ⌈n·share⌉ pass, evenly spread (share 0.25: the 1st, 5th, 9th...).
 *
 * Why not a random draw or a shared counter: a draw admits the share only on average (and makes tests flaky); a
 * counter in DynamoDB would add a write to every request of a feature whose breaker tripped because it spent too
 * much. Per container, each of C containers admits its own share: the workflow admits at most share × N + C of N.
 */
export class BreakerThrottle {
  private readonly counts = new Map<string, FeatureCount>();

  /** Whether the next request of `feature` under the trip `trip` is admitted at `share` (0 < share < 1). */
  admits(feature: string, trip: string, share: number): boolean {
    const [numerator, denominator] = fractionOf(share);
    let count = this.counts.get(feature);
    if (!count || count.trip !== trip) {
      count = { trip, offered: 0 };
      this.counts.set(feature, count);
    }
    count.offered++;
    return admittedThrough(count.offered, numerator, denominator) > admittedThrough(count.offered - 1, numerator, denominator);
  }

  /** The feature's breaker is closed: its count ends, and a later trip starts afresh. */
  closed(feature: string): void {
    this.counts.delete(feature);
  }
}

// ⌈n × numerator / denominator⌉ in integers: how many of the first n requests are admitted.
function admittedThrough(n: number, numerator: number, denominator: number): number {
  return Math.floor((n * numerator + denominator - 1) / denominator);
}

/**
 * The share as a fraction, so that admission is integer arithmetic (in floating point 0.1 × 3 is not 0.3, and a
 * share kept in millionths makes 2/3 admit one request too many every 10⁶): the continued fraction's convergents,
 * up to the first equal to the share or the last with a denominator of at most a million. 0.25 → 1/4, 0.1 → 1/10,
 * 2/3 → 2/3. Kept strictly between 0 and 1: a throttle never pauses nor lets everything through.
 */
export function fractionOf(share: number): [number, number] {
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let rest = share;
  for (let i = 0; i < 64; i++) {
    const whole = Math.floor(rest);
    const [h2, k2] = [whole * h1 + h0, whole * k1 + k0];
    if (k2 > MAX_DENOMINATOR) break;
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (Math.abs(h1 / k1 - share) <= 1e-12 || rest === whole) break;
    rest = 1 / (rest - whole);
  }
  if (k1 === 0 || h1 <= 0) return [1, MAX_DENOMINATOR];
  return h1 >= k1 ? [MAX_DENOMINATOR - 1, MAX_DENOMINATOR] : [h1, k1];
}
