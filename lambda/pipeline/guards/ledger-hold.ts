import { randomBytes } from 'node:crypto';
import type { LimitStatus } from './spend-guard';

/**
 * The hold record: what one reservation on the usage ledger holds, and how it travels.
 *
 * A hold is born **live**: its id is in its expiry bucket's set of live holds on each counter it reserved on, by the
 * reserving write itself. It then ends one of four ways:
 * - **settled**: the settlement takes its amounts out of the bucket and its id out of the live set, on each counter
 *   by one write conditional on the id being live, so that it settles once however often it is delivered;
 * - **withdrawn**: a refused request (or a write of unknown outcome) takes its amounts back out, by its id;
 * - **fenced**: a write of unknown outcome that had not landed has its id put in the bucket's withdrawn set, so that
 *   landing late it changes nothing;
 * - **expired**: its Lambda died before settling; once its bucket's end has passed, the next request that sees the
 *   bucket gives what it holds back (a sweep), and keeps its id in the bucket's given-back set for a while: a late
 *   settlement then adds what was billed, once.
 *
 * The guard hands the pipeline the hold encoded as a string ({@link encodeHold}): Converse and embedding holds live
 * in memory for one invocation. A batch job's hold outlives it in a marker in S3, where whoever could write could
 * name any counter and amount: only a {@link HoldReference} to a copy kept in the ledger table leaves the ledger.
 *
 * The encoding is a wire format (markers in S3 and copies in the ledger table written by an earlier deployment are
 * read by the next one): its one-letter keys stay as they are.
 */
export interface LedgerHold {
  /** This reservation's own id (a retry of the same request reserves under a new one). Absent on holds reserved before hold ids existed. */
  readonly holdId?: string;
  /** The counters whose tokens and cost it reserved. */
  readonly counters: ReadonlyArray<HeldCounter>;
  /** Its expiry bucket (see {@link expiryBucketOf}). */
  readonly bucket: string;
  /** What it reserved on each counter. */
  readonly tokens: number;
  readonly costAtto: bigint;
  /** The holds of the container fallbacks of the limits that failed open, by their counter group's signature. */
  readonly fallbackHolds: ReadonlyArray<FallbackHold>;
  /** The tightest limit the reservation left, for the rate-limit headers. */
  readonly status?: LimitStatus;
  /** The tightest token or USD limit it left (a feature's `nearLimit` policy reads it), when it differs from `status`. */
  readonly spendStatus?: LimitStatus;
  /** A batch hold's tenant: only a settlement for the same tenant may use it (absent on holds kept before it was). */
  readonly tenantId?: string;
}

/** One counter a hold reserved on: its item's key, and the TTL the item gets. */
export interface HeldCounter {
  readonly key: string;
  readonly expiresAt: number;
}

/** A hold taken by the per-container fallback of a limit that failed open. */
export interface FallbackHold {
  readonly groupSignature: string;
  readonly hold: string | undefined;
}

/** What a batch reservation hands its caller: the id of a hold whose record is kept in the ledger table. */
export interface HoldReference {
  readonly referencedHoldId: string;
}

/** The hold's wire form: one-letter keys, small in the hold sets and in S3 markers. */
interface EncodedHold {
  readonly h?: string;
  readonly i: Array<{ readonly k: string; readonly e: number }>;
  readonly b: string;
  readonly t: number;
  readonly c: string;
  readonly f?: Array<{ readonly g: string; readonly h: string | undefined }>;
  readonly s?: LimitStatus;
  readonly p?: LimitStatus;
  readonly n?: string;
}

/** The hold as the string the guard hands out (and the ledger keeps for a batch hold). */
export function encodeHold(hold: LedgerHold): string {
  const encoded: EncodedHold = {
    ...(hold.holdId !== undefined ? { h: hold.holdId } : {}),
    i: hold.counters.map((c) => ({ k: c.key, e: c.expiresAt })),
    b: hold.bucket,
    t: hold.tokens,
    c: hold.costAtto.toString(),
    ...(hold.fallbackHolds.length > 0 ? { f: hold.fallbackHolds.map((f) => ({ g: f.groupSignature, h: f.hold })) } : {}),
    ...(hold.status ? { s: hold.status } : {}),
    ...(hold.spendStatus ? { p: hold.spendStatus } : {}),
    ...(hold.tenantId !== undefined ? { n: hold.tenantId } : {}),
  };
  return JSON.stringify(encoded);
}

/** The reference that stands for a batch hold kept in the ledger. */
export function encodeHoldReference(holdId: string): string {
  return JSON.stringify({ r: holdId });
}

/** A hold string: the hold itself, or a reference to one kept in the ledger. */
export function decodeHold(text: string): LedgerHold | HoldReference {
  const parsed = JSON.parse(text) as Partial<EncodedHold> & { r?: string };
  if (parsed.r !== undefined) return { referencedHoldId: parsed.r };
  return {
    ...(parsed.h !== undefined ? { holdId: parsed.h } : {}),
    counters: (parsed.i ?? []).map((c) => ({ key: c.k, expiresAt: c.e })),
    bucket: parsed.b ?? '',
    tokens: parsed.t ?? 0,
    costAtto: BigInt(parsed.c ?? '0'),
    fallbackHolds: (parsed.f ?? []).map((f) => ({ groupSignature: f.g, hold: f.h })),
    ...(parsed.s ? { status: parsed.s } : {}),
    ...(parsed.p ? { spendStatus: parsed.p } : {}),
    ...(parsed.n !== undefined ? { tenantId: parsed.n } : {}),
  };
}

export function isHoldReference(hold: LedgerHold | HoldReference): hold is HoldReference {
  return (hold as HoldReference).referencedHoldId !== undefined;
}

/** A random id for one reservation (96 bits, 16 characters: small in the counter's set of live holds). */
export function newHoldId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * A container allowance's id (`./ledger-allowances`): a hold id marked `a` that carries what the allowance took
 * (requests, tokens, attodollars, base 36), so that the sweep that drops it unsettled can say what stays counted.
 */
export function newAllowanceId(amounts: { readonly requests: number; readonly tokens: number; readonly costAtto: bigint }): string {
  return `a${newHoldId()}.${amounts.requests.toString(36)}.${amounts.tokens.toString(36)}.${amounts.costAtto.toString(36)}`;
}

/** What an allowance id says its allowance took; undefined for a call's hold id. */
export function allowanceAmountsOf(id: string): { requests: number; tokens: number; costAtto: bigint } | undefined {
  const m = /^a[A-Za-z0-9_-]{16}\.([0-9a-z]+)\.([0-9a-z]+)\.([0-9a-z]+)$/.exec(id);
  if (!m) return undefined;
  const big36 = (digits: string) => [...digits].reduce((n, d) => n * 36n + BigInt(parseInt(d, 36)), 0n);
  return { requests: parseInt(m[1], 36), tokens: parseInt(m[2], 36), costAtto: big36(m[3]) };
}

/** Expiry bucket widths: about 5 live at once for requests, so a counter item stays under the 1 KB of one write unit. */
const REQUEST_BUCKET_MS = 300_000;
const BATCH_BUCKET_MS = 12 * 3_600_000;

/**
 * The longest a Lambda invocation runs (its maximum timeout, 900 s:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): a request hold that lives longer can
 * never be settled after its bucket ends, since the invocation that would settle it is over by then.
 */
const MAX_INVOCATION_MS = 900_000;

/**
 * The expiry bucket of a hold reserved at `nowMs` that lives `lifeMs` unsettled: `<mark><end in base-36 seconds>`,
 * the end rounded up to the bucket's width (5 minutes for requests, 12 hours for batch jobs). The mark says whether
 * its holds may be settled after it ends: `k` (kept) for batch holds (collected by a later invocation, days on) and
 * for request holds that live no longer than an invocation may run; `h` for request holds that outlive any
 * invocation (the default 16 minutes). Only a `k` bucket's sweep keeps the ids it gave back (`<bucket>g`), so dead
 * request holds on a hot counter never pile up in its item.
 */
export function expiryBucketOf(nowMs: number, lifeMs: number, batch: boolean): string {
  const widthMs = batch ? BATCH_BUCKET_MS : REQUEST_BUCKET_MS;
  const mark = batch || lifeMs <= MAX_INVOCATION_MS ? 'k' : 'h';
  return `${mark}${(Math.ceil((nowMs + lifeMs) / widthMs) * widthMs / 1000).toString(36)}`;
}

/** Whether a bucket's holds may be settled after it ends (see {@link expiryBucketOf}): its sweep keeps their ids. */
export function settlesAfterItsEnd(bucket: string): boolean {
  return bucket.startsWith('k');
}

/** When an expiry bucket ends: its holds are swept back by the next request after. */
export function bucketEndMs(bucket: string): number {
  return parseInt(bucket.slice(1), 36) * 1000;
}
