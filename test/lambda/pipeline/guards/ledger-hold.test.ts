import { bucketEndMs, decodeHold, encodeHold, encodeHoldReference, expiryBucketOf, isHoldReference, LedgerHold, settlesAfterItsEnd } from '../../../../lambda/pipeline/guards/ledger-hold';

// The hold record is a wire format: batch markers in S3 and hold records in the ledger, written by one deployment,
// are settled by the next. These tests pin the encoding those carry.

const NOW = Date.UTC(2026, 11, 1, 9, 30, 15);

const hold: LedgerHold = {
  holdId: 'Zk3v0Qm1xYw2AbCd',
  counters: [{ key: 'tenant#iam%3Aacme#2026-12', expiresAt: 1_798_848_000 }],
  bucket: 'hsxq5k0',
  tokens: 1_200,
  costAtto: 123_456_789_000_000_000n,
  fallbackHolds: [{ groupSignature: 'user|hour', hold: 'c1' }],
  status: { scope: 'tenant', window: 'month', measure: 'costUsd', limit: 100, remaining: 99.88, resetsAt: '2027-01-01T00:00:00.000Z' },
  tenantId: 'iam:acme',
};

describe('the ledger hold record', () => {
  test('is encoded with the one-letter keys earlier deployments wrote, the cost as an exact decimal string', () => {
    expect(JSON.parse(encodeHold(hold))).toEqual({
      h: 'Zk3v0Qm1xYw2AbCd', i: [{ k: 'tenant#iam%3Aacme#2026-12', e: 1_798_848_000 }], b: 'hsxq5k0', t: 1_200, c: '123456789000000000',
      f: [{ g: 'user|hour', h: 'c1' }], s: hold.status, n: 'iam:acme',
    });
  });

  test('decodes what it encodes, exactly (attodollars beyond a float\'s precision included)', () => {
    const exact = { ...hold, costAtto: 9_007_199_254_740_993_001n };

    expect(decodeHold(encodeHold(exact))).toEqual(exact);
  });

  test('leaves out what a hold does not have, as before: no fallbacks, no status, no tenant for a request hold', () => {
    const plain: LedgerHold = { holdId: 'id', counters: [], bucket: 'h1', tokens: 0, costAtto: 0n, fallbackHolds: [] };

    expect(JSON.parse(encodeHold(plain))).toEqual({ h: 'id', i: [], b: 'h1', t: 0, c: '0' });
    expect(decodeHold(encodeHold(plain))).toEqual(plain);
  });

  test('decodes a hold reserved before hold ids existed, with no id', () => {
    const old = decodeHold(JSON.stringify({ i: [{ k: 'user#u#2026-12-01T09', e: 5 }], b: 'h1', t: 10, c: '20' }));

    expect(old).toEqual({ counters: [{ key: 'user#u#2026-12-01T09', expiresAt: 5 }], bucket: 'h1', tokens: 10, costAtto: 20n, fallbackHolds: [] });
  });

  test('tells a reference to a hold kept in the ledger from a hold', () => {
    const reference = decodeHold(encodeHoldReference('Zk3v0Qm1xYw2AbCd'));

    expect(isHoldReference(reference)).toBe(true);
    expect(reference).toEqual({ referencedHoldId: 'Zk3v0Qm1xYw2AbCd' });
    expect(isHoldReference(decodeHold(encodeHold(hold)))).toBe(false);
  });
});

describe('expiry buckets', () => {
  test('a request hold expires in the 5-minute bucket that ends after its life, a batch hold in a 12-hour one', () => {
    const request = expiryBucketOf(NOW, 960_000, false);
    const batch = expiryBucketOf(NOW, 8 * 86_400_000, true);

    expect(bucketEndMs(request)).toBeGreaterThanOrEqual(NOW + 960_000);
    expect(bucketEndMs(request) - (NOW + 960_000)).toBeLessThan(300_000);
    expect(bucketEndMs(request) % 300_000).toBe(0);
    expect(bucketEndMs(batch)).toBeGreaterThanOrEqual(NOW + 8 * 86_400_000);
    expect(bucketEndMs(batch) % 43_200_000).toBe(0);
  });

  test('only a bucket whose holds may be settled after it ends is marked to keep the ids its sweep gives back', () => {
    // A batch hold is collected by a later invocation; a 10-minute request hold may end before its invocation (15
    // minutes at most); the default 16-minute one outlives any invocation.
    expect(settlesAfterItsEnd(expiryBucketOf(NOW, 8 * 86_400_000, true))).toBe(true);
    expect(settlesAfterItsEnd(expiryBucketOf(NOW, 600_000, false))).toBe(true);
    expect(settlesAfterItsEnd(expiryBucketOf(NOW, 960_000, false))).toBe(false);
  });

  test('holds reserved within the same 5 minutes share a bucket, so a counter item carries a handful of them', () => {
    // 09:29 + 16 minutes of life: expiry at 09:45 sharp, a bucket boundary
    const start = Date.UTC(2026, 11, 1, 9, 29);

    expect(expiryBucketOf(start + 1, 960_000, false)).toBe(expiryBucketOf(start + 299_999, 960_000, false));
    expect(expiryBucketOf(start + 300_001, 960_000, false)).not.toBe(expiryBucketOf(start + 1, 960_000, false));
  });
});
