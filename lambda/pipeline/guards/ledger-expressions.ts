import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { settlesAfterItsEnd } from './ledger-hold';
import type { SpendAmount } from './spend-guard';

/**
 * The usage ledger's DynamoDB items and the expressions that change them. Pure: each function builds one request's
 * input; the protocol (`./ledger-protocol`) decides when to send it.
 *
 * One table, key `pk`, three kinds of item:
 * - a **counter** (`<scope>#<id>#<window>[#<shard>]`, see `./ledger-limits`): `requests`, `tokens`, `costAtto`,
 *   `cacheReadTokens`, and per expiry bucket `<bucket>t` and `<bucket>c` (what live holds reserved), `<bucket>s` (their
 *   ids) and `<bucket>x` (the ids fenced: withdrawn before their write landed); once the bucket is swept, only
 *   `<bucket>g` (the ids it gave back, whose late settlement still adds what was billed) stays, for
 *   {@link GIVEN_BACK_KEPT_SECONDS} past the bucket's end;
 * - a **batch hold record** `hold#<hold id>` whose `doc` is the encoded hold (`./ledger-hold`).
 * Every item carries `expiresAt` (epoch seconds) for the table's TTL.
 */

export type Item = Record<string, AttributeValue>;

/** A counter's attributes for one expiry bucket. */
export interface BucketAttributes {
  /** Tokens the bucket's live holds reserved. */
  readonly tokens: string;
  /** Cost (attodollars) the bucket's live holds reserved. */
  readonly costAtto: string;
  /** The ids of its live holds. */
  readonly liveHolds: string;
  /** The ids of holds withdrawn before their reservation landed. */
  readonly fencedHolds: string;
  /** The ids of live holds the bucket's sweep gave back (their Lambda died, or settles late). */
  readonly givenBackHolds: string;
}

export function bucketAttributes(bucket: string): BucketAttributes {
  return { tokens: `${bucket}t`, costAtto: `${bucket}c`, liveHolds: `${bucket}s`, fencedHolds: `${bucket}x`, givenBackHolds: `${bucket}g` };
}

/**
 * How long a swept bucket remembers the holds it gave back: a settlement that arrives later (a batch job collected
 * more than this after its hold's end) adds nothing. The same horizon the settlement markers had. Only buckets whose
 * holds may be settled after they end (`k`: batch holds) keep them; the set goes with the next sweep after, or the
 * counter's TTL.
 */
export const GIVEN_BACK_KEPT_SECONDS = 7 * 86_400;

/**
 * The most ids one sweep keeps as given back: a bound on the item (each id ~17 bytes, so ~1 KB a bucket; a counter
 * sees at most 14 batch buckets in the 7 days they are kept) whatever happens to batch jobs. The ids past it are
 * given back all the same; a late settlement of one of them adds nothing.
 */
export const MAX_GIVEN_BACK_IDS = 64;

const BUCKET_TOKENS_ATTRIBUTE = /^([hk][0-9a-z]+)t$/;
const GIVEN_BACK_ATTRIBUTE = /^([hk][0-9a-z]+)g$/;

/** The buckets of a counter item whose given-back ids are past {@link GIVEN_BACK_KEPT_SECONDS} (dropped, so the item stays small). */
export function staleGivenBackBuckets(item: Item, nowMs: number): string[] {
  return Object.keys(item)
    .map((name) => GIVEN_BACK_ATTRIBUTE.exec(name)?.[1])
    .filter((bucket): bucket is string => bucket !== undefined && (parseInt(bucket.slice(1), 36) + GIVEN_BACK_KEPT_SECONDS) * 1000 <= nowMs);
}

/** Whether the item shows `holdId` among the ids `bucket`'s sweep gave back (its settlement adds what was billed, once). */
export function holdWasGivenBack(item: Item | undefined, bucket: string, holdId: string): boolean {
  return item?.[bucketAttributes(bucket).givenBackHolds]?.SS?.includes(holdId) === true;
}

/** The expiry buckets of a counter item whose end has passed (their holds are given back by a sweep). */
export function expiredBuckets(item: Item, nowMs: number): string[] {
  return Object.keys(item)
    .map((name) => BUCKET_TOKENS_ATTRIBUTE.exec(name)?.[1])
    .filter((bucket): bucket is string => bucket !== undefined && parseInt(bucket.slice(1), 36) * 1000 <= nowMs);
}

/** Whether the item shows `holdId` live in `bucket` (a reservation write the SDK repeated after it had landed). */
export function holdIsLive(item: Item | undefined, bucket: string, holdId: string): boolean {
  return item?.[bucketAttributes(bucket).liveHolds]?.SS?.includes(holdId) === true;
}

export function holdRecordKey(holdId: string): string {
  return `hold#${holdId}`;
}

/** A whole share of each limit of one counter (undefined: that measure is not limited). */
export interface CounterShare {
  readonly requests?: number;
  readonly tokens?: number;
  readonly costAtto?: bigint;
}

/** What a reservation adds to one counter. */
export interface CounterReservation {
  readonly key: string;
  readonly expiresAt: number;
  /** Counts the request on the counter's request limit. */
  readonly countRequest: boolean;
  /** Reserves tokens and cost under `holdId` in `bucket` (absent: the request is counted alone). */
  readonly estimate?: SpendAmount;
  readonly bucket: string;
  readonly holdId: string;
  /** Each addition only while the counter stays within its share. */
  readonly share: CounterShare;
  /** How many requests `countRequest` counts (a container allowance takes several at once). @default 1 */
  readonly requests?: number;
  /**
   * Whether the estimate is also held in the bucket's sums, so that a sweep gives it back if the hold is never
   * settled. A container allowance is not (`false`): what its container used is known only to it, so an allowance
   * never settled stays counted whole (over-counted, never under). @default true
   */
  readonly heldInBucket?: boolean;
}

/**
 * Reserves on one counter, only within its share: `ADD tokens :t` only `IF tokens <= :share - :t`, so however many
 * arrive at once no counter passes its share. The hold id goes into the bucket's live set by the same write, only
 * if it is not there yet (a write the SDK repeats lands once) and was never fenced. Returns the item either way,
 * for the limit status, the refusal's figures and the sweep of expired buckets.
 */
export function reserveCounterUpdate(table: string, r: CounterReservation): UpdateItemCommandInput {
  const adds: string[] = [];
  const conditions: string[] = [];
  const values: Item = { ':e': { N: String(r.expiresAt) } };
  const names: Record<string, string> = {};
  if (r.countRequest) {
    const requests = r.requests ?? 1;
    adds.push('requests :r');
    values[':r'] = { N: String(requests) };
    if (r.share.requests !== undefined) {
      conditions.push('(attribute_not_exists(requests) OR requests <= :rmax)');
      values[':rmax'] = { N: String(r.share.requests - requests) };
    }
  }
  if (r.estimate) {
    const bucket = bucketAttributes(r.bucket);
    const held = r.heldInBucket ?? true;
    // An allowance creates the bucket (zero sums, so its sweep finds it and drops its id) without holding in it.
    adds.push('tokens :t', 'costAtto :c', `#bt ${held ? ':t' : ':z'}`, `#bc ${held ? ':c' : ':z'}`, '#bs :hs');
    if (!held) values[':z'] = { N: '0' };
    names['#bt'] = bucket.tokens;
    names['#bc'] = bucket.costAtto;
    names['#bs'] = bucket.liveHolds;
    names['#bx'] = bucket.fencedHolds;
    values[':t'] = { N: String(r.estimate.tokens) };
    values[':c'] = { N: r.estimate.costAtto.toString() };
    values[':h'] = { S: r.holdId };
    values[':hs'] = { SS: [r.holdId] };
    conditions.push('NOT contains(#bs, :h)', 'NOT contains(#bx, :h)');
    if (r.share.tokens !== undefined) {
      conditions.push('(attribute_not_exists(tokens) OR tokens <= :tmax)');
      values[':tmax'] = { N: String(r.share.tokens - r.estimate.tokens) };
    }
    if (r.share.costAtto !== undefined) {
      conditions.push('(attribute_not_exists(costAtto) OR costAtto <= :cmax)');
      values[':cmax'] = { N: (r.share.costAtto - r.estimate.costAtto).toString() };
    }
  }
  return {
    TableName: table, Key: { pk: { S: r.key } },
    UpdateExpression: `SET expiresAt = if_not_exists(expiresAt, :e) ADD ${adds.join(', ')}`,
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** What a reservation write added to a counter, to be taken back. */
export interface CountedOnCounter {
  readonly requests: number;
  readonly tokens: number;
  readonly costAtto: bigint;
}

/**
 * Takes a reservation back out of a counter, only if its hold is live there (so never twice). `heldInBucket` as the
 * reservation wrote it (a container allowance's amounts are not in its bucket's sums).
 */
export function withdrawUpdate(table: string, key: string, bucket: string, holdId: string, counted: CountedOnCounter, heldInBucket = true): UpdateItemCommandInput {
  const names = bucketAttributes(bucket);
  return {
    TableName: table, Key: { pk: { S: key } },
    UpdateExpression: `ADD requests :r, tokens :t, costAtto :c${heldInBucket ? ', #bt :t, #bc :c' : ''} DELETE #bs :hs`,
    ConditionExpression: 'contains(#bs, :h)',
    ExpressionAttributeNames: heldInBucket ? { '#bt': names.tokens, '#bc': names.costAtto, '#bs': names.liveHolds } : { '#bs': names.liveHolds },
    ExpressionAttributeValues: {
      ':r': { N: String(-counted.requests) }, ':t': { N: String(-counted.tokens) }, ':c': { N: (-counted.costAtto).toString() },
      ':h': { S: holdId }, ':hs': { SS: [holdId] },
    },
  };
}

/**
 * Fences a hold whose reservation has not landed (yet): its id goes into the bucket's withdrawn set, only if it is not
 * live, so that the write, landing late, is refused. The zero amounts create the bucket the sweep removes at its end.
 */
export function fenceUpdate(table: string, key: string, bucket: string, holdId: string, expiresAt: number): UpdateItemCommandInput {
  const names = bucketAttributes(bucket);
  return {
    TableName: table, Key: { pk: { S: key } },
    UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD #bx :hs, #bt :z, #bc :z',
    ConditionExpression: 'NOT contains(#bs, :h)',
    ExpressionAttributeNames: { '#bt': names.tokens, '#bc': names.costAtto, '#bs': names.liveHolds, '#bx': names.fencedHolds },
    ExpressionAttributeValues: { ':e': { N: String(expiresAt) }, ':z': { N: '0' }, ':h': { S: holdId }, ':hs': { SS: [holdId] } },
  };
}

/** Takes back a request counted alone (no hold id): a plain decrement. */
export function uncountRequestsUpdate(table: string, key: string, requests: number): UpdateItemCommandInput {
  return {
    TableName: table, Key: { pk: { S: key } },
    UpdateExpression: 'ADD requests :r', ExpressionAttributeValues: { ':r': { N: String(-requests) } },
  };
}

/**
 * Settles a hold on one counter, by itself (one conditional `UpdateItem`, no transaction): `ADD actual - reserved`,
 * the amounts out of its bucket and its id out of the live set, only while its id is live there. Applied once: the
 * write that lands takes the id out, so a repeat (a retry, a duplicate delivery, an SDK retry of a write that had
 * landed) fails its condition and changes nothing.
 */
export function settleCounterUpdate(
  table: string, counter: { readonly key: string; readonly expiresAt: number }, bucket: string, holdId: string,
  reserved: { readonly tokens: number; readonly costAtto: bigint }, actual: SpendAmount,
): UpdateItemCommandInput {
  const names = bucketAttributes(bucket);
  const values: Item = {
    ':e': { N: String(counter.expiresAt) },
    ':cr': { N: String(actual.cacheReadTokens) },
    ':t': { N: String(actual.tokens - reserved.tokens) },
    ':c': { N: (actual.costAtto - reserved.costAtto).toString() },
    ':bt': { N: String(-reserved.tokens) },
    ':bc': { N: (-reserved.costAtto).toString() },
  };
  values[':h'] = { S: holdId };
  values[':hs'] = { SS: [holdId] };
  return {
    TableName: table, Key: { pk: { S: counter.key } },
    UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr, #bt :bt, #bc :bc DELETE #bs :hs',
    ConditionExpression: 'contains(#bs, :h)',
    ExpressionAttributeNames: { '#bt': names.tokens, '#bc': names.costAtto, '#bs': names.liveHolds },
    ExpressionAttributeValues: values,
    // Which way the condition failed (settled already, or given back by a sweep) is read from the item as it was.
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** What a container allowance took from a counter, or what its container used of it. */
export interface AllowanceAmounts {
  readonly requests: number;
  readonly tokens: number;
  readonly costAtto: bigint;
}

/**
 * Settles a container allowance on its counter: `ADD used - granted` (requests, tokens, cost) and the cache reads
 * its calls made, its id out of the live set, only while the id is live: applied once, like a hold's settlement.
 * Its bucket's sums are left alone (the allowance never held in them); once its bucket is swept the id is gone and
 * nothing applies: the allowance stays counted whole.
 */
export function settleAllowanceUpdate(
  table: string, counter: { readonly key: string; readonly expiresAt: number }, bucket: string, holdId: string,
  granted: AllowanceAmounts, used: AllowanceAmounts & { readonly cacheReadTokens: number },
): UpdateItemCommandInput {
  return {
    TableName: table, Key: { pk: { S: counter.key } },
    UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD requests :r, tokens :t, costAtto :c, cacheReadTokens :cr DELETE #bs :hs',
    ConditionExpression: 'contains(#bs, :h)',
    ExpressionAttributeNames: { '#bs': bucketAttributes(bucket).liveHolds },
    ExpressionAttributeValues: {
      ':e': { N: String(counter.expiresAt) }, ':cr': { N: String(used.cacheReadTokens) },
      ':r': { N: String(used.requests - granted.requests) }, ':t': { N: String(used.tokens - granted.tokens) },
      ':c': { N: (used.costAtto - granted.costAtto).toString() }, ':h': { S: holdId }, ':hs': { SS: [holdId] },
    },
  };
}

/**
 * Settles a hold its bucket's sweep gave back (the reservation no longer counts): adds what was billed in full and
 * takes the id out of the given-back set, only while it is there, so this too lands once.
 */
export function settleGivenBackUpdate(
  table: string, counter: { readonly key: string; readonly expiresAt: number }, bucket: string, holdId: string, actual: SpendAmount,
): UpdateItemCommandInput {
  return {
    TableName: table, Key: { pk: { S: counter.key } },
    UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :e) ADD tokens :t, costAtto :c, cacheReadTokens :cr DELETE #bg :hs',
    ConditionExpression: 'contains(#bg, :h)',
    ExpressionAttributeNames: { '#bg': bucketAttributes(bucket).givenBackHolds },
    ExpressionAttributeValues: {
      ':e': { N: String(counter.expiresAt) }, ':cr': { N: String(actual.cacheReadTokens) },
      ':t': { N: String(actual.tokens) }, ':c': { N: actual.costAtto.toString() },
      ':h': { S: holdId }, ':hs': { SS: [holdId] },
    },
  };
}

/**
 * A batch hold's record goes once every counter is settled (the item stays, without its document, until its TTL):
 * removing it again changes nothing.
 */
export function holdRecordRemoval(table: string, holdId: string): UpdateItemCommandInput {
  return { TableName: table, Key: { pk: { S: holdRecordKey(holdId) } }, UpdateExpression: 'REMOVE doc' };
}

/** Keeps a batch hold's record in the ledger until its last counter's TTL. */
export function holdRecordPut(table: string, holdId: string, encodedHold: string, expiresAt: number) {
  return { TableName: table, Item: { pk: { S: holdRecordKey(holdId) }, doc: { S: encodedHold }, expiresAt: { N: String(expiresAt) } } };
}

/**
 * Reads a batch hold's record with the ledger's own write permission (UpdateItem returns the item, so no read grant
 * is needed). Fails its condition when the record is gone (never there, or settled: the old item tells which).
 */
export function holdRecordRead(table: string, holdId: string): UpdateItemCommandInput {
  return {
    TableName: table, Key: { pk: { S: holdRecordKey(holdId) } },
    UpdateExpression: 'SET doc = doc', ConditionExpression: 'attribute_exists(doc)', ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * Gives back what an expired bucket of a counter still holds, only if it still holds exactly what was seen (amounts
 * and the set of live ids itself), and drops the bucket's attributes so the item stays small. In a bucket whose
 * holds may be settled after it ends (`k`, see `expiryBucketOf`) the ids it gave back stay in `<bucket>g` (at most
 * {@link MAX_GIVEN_BACK_IDS}), so that a settlement arriving after the sweep adds what was billed, once; a request
 * bucket (`h`) keeps none: no settlement can come after it ends. Given-back sets past their time (`staleBuckets`)
 * go with the same write.
 */
export function sweepUpdate(
  table: string, key: string, bucket: string, seen: { readonly tokens: number; readonly costAtto: bigint; readonly liveHolds: ReadonlyArray<string> },
  staleBuckets: ReadonlyArray<string> = [],
): UpdateItemCommandInput {
  const names = bucketAttributes(bucket);
  const givesBack = seen.tokens !== 0 || seen.costAtto !== 0n;
  const hasIds = seen.liveHolds.length > 0;
  const keptIds = settlesAfterItsEnd(bucket) ? [...seen.liveHolds].sort().slice(0, MAX_GIVEN_BACK_IDS) : [];
  const exprNames: Record<string, string> = { '#bt': names.tokens, '#bc': names.costAtto, '#bs': names.liveHolds, '#bx': names.fencedHolds };
  const values: Item = { ':t': { N: String(seen.tokens) }, ':c': { N: seen.costAtto.toString() } };
  const removed = ['#bt', '#bc', '#bs', '#bx'];
  staleBuckets.forEach((stale, i) => {
    exprNames[`#g${i}`] = bucketAttributes(stale).givenBackHolds;
    removed.push(`#g${i}`);
  });
  const adds: string[] = [];
  if (givesBack) {
    adds.push('tokens :nt', 'costAtto :nc');
    values[':nt'] = { N: String(-seen.tokens) };
    values[':nc'] = { N: (-seen.costAtto).toString() };
  }
  if (hasIds) values[':ids'] = { SS: [...seen.liveHolds] };
  if (keptIds.length > 0) {
    adds.push('#bg :kept');
    exprNames['#bg'] = names.givenBackHolds;
    values[':kept'] = { SS: keptIds };
  }
  return {
    TableName: table, Key: { pk: { S: key } },
    UpdateExpression: `REMOVE ${removed.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
    // The live set itself as seen, not its size: a settlement of one hold and a late reservation of another with the
    // same estimate leave amounts and size as they were, and the wrong id would be kept. `=` compares sets as sets
    // (EQ "is supported for all data types": https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Condition.html).
    ConditionExpression: `#bt = :t AND #bc = :c AND ${hasIds ? '#bs = :ids' : 'attribute_not_exists(#bs)'}`,
    ExpressionAttributeNames: exprNames,
    ExpressionAttributeValues: values,
  };
}

/** Drops given-back sets past their time from a counter that has no expired bucket to sweep. */
export function dropGivenBackUpdate(table: string, key: string, staleBuckets: ReadonlyArray<string>): UpdateItemCommandInput {
  return {
    TableName: table, Key: { pk: { S: key } },
    UpdateExpression: `REMOVE ${staleBuckets.map((_, i) => `#g${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(staleBuckets.map((stale, i) => [`#g${i}`, bucketAttributes(stale).givenBackHolds])),
  };
}

/** A number attribute (0 when absent). */
export function numberAttribute(value: AttributeValue | undefined): number {
  return value?.N !== undefined ? Number(value.N) : 0;
}

/**
 * An attodollar attribute, exactly (0 when absent). DynamoDB returns numbers as written (plain digits); an exponent
 * form is expanded, never rounded through a float.
 */
export function attoAttribute(value: AttributeValue | undefined): bigint {
  const n = value?.N;
  if (n === undefined) return 0n;
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]\+?(\d+)$/.exec(n);
  if (!m) return BigInt(n);
  const digits = (m[2] + (m[3] ?? '')).padEnd(m[2].length + Number(m[4]), '0');
  return BigInt(`${m[1]}${digits}`);
}
