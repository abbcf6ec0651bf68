import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { localS3ClientConfig, startLocalS3, type LocalS3, type S3EventRecordLike } from '../../../packages/local/src/services/s3-local';

const UNICODE_KEY = 'reports/Q1 summary – naïve 東京 😀 (final)+v2.txt';

let s3: LocalS3;
let client: S3Client;
const records: S3EventRecordLike[] = [];
const waiters: Array<() => void> = [];

/** Resolves once `count` ObjectCreated records have been delivered in total. */
function recordsReceived(count: number): Promise<S3EventRecordLike[]> {
  return new Promise((resolve) => {
    const check = (): void => (records.length >= count ? resolve(records.slice(0, count)) : void waiters.push(check));
    check();
  });
}

async function getText(Bucket: string, Key: string, VersionId?: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket, Key, ...(VersionId ? { VersionId } : {}) }));
  return out.Body!.transformToString();
}

async function sdkError(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error('expected the S3 call to fail');
}

beforeAll(async () => {
  s3 = await startLocalS3({
    onObjectCreated: (record) => {
      records.push(record);
      waiters.splice(0).forEach((wake) => wake());
    },
  });
  client = new S3Client(localS3ClientConfig(s3.endpoint));
  await client.send(new CreateBucketCommand({ Bucket: 'docs' }));
  await client.send(new CreateBucketCommand({ Bucket: 'versioned' }));
  await client.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

describe('local S3 with the real S3Client', () => {
  it('listens on loopback', () => {
    expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
  });

  it('puts, gets, heads and lists an object whose key has spaces, unicode and reserved characters', async () => {
    const body = 'Quarterly spend: 1 234,56 € — ok';
    const put = await client.send(new PutObjectCommand({ Bucket: 'docs', Key: UNICODE_KEY, Body: body, ContentType: 'text/plain; charset=utf-8', Metadata: { tenant: 'acme' } }));
    const md5 = createHash('md5').update(body).digest('hex');
    expect(put.ETag).toBe(`"${md5}"`);
    expect(put.VersionId).toBeUndefined(); // versioning never configured on this bucket

    expect(await getText('docs', UNICODE_KEY)).toBe(body);

    const head = await client.send(new HeadObjectCommand({ Bucket: 'docs', Key: UNICODE_KEY }));
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
    expect(head.ETag).toBe(`"${md5}"`);
    expect(head.Metadata).toEqual({ tenant: 'acme' });
    expect(head.LastModified).toBeInstanceOf(Date);

    const list = await client.send(new ListObjectsV2Command({ Bucket: 'docs', Prefix: 'reports/' }));
    expect(list.KeyCount).toBe(1);
    expect(list.IsTruncated).toBe(false);
    expect(list.Contents?.map((o) => [o.Key, o.Size, o.ETag])).toEqual([[UNICODE_KEY, Buffer.byteLength(body), `"${md5}"`]]);
    expect(list.Contents?.[0]?.LastModified?.getTime()).toBe(head.LastModified?.getTime());
  });

  it('decodes aws-chunked uploads with a trailing checksum (the SDK default for streamed bodies)', async () => {
    const bytes = Buffer.alloc(70_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 256;
    const streaming = new S3Client(localS3ClientConfig(s3.endpoint));
    const sentHeaders: Array<Record<string, string>> = [];
    streaming.middlewareStack.add(
      (next) => async (args) => {
        sentHeaders.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureHeaders' },
    );
    await streaming.send(new PutObjectCommand({ Bucket: 'docs', Key: 'binary/stream.bin', Body: Readable.from([bytes.subarray(0, 40_000), bytes.subarray(40_000)]), ContentLength: bytes.length }));
    streaming.destroy();
    // Guard the premise: the SDK really used aws-chunked framing with a trailing checksum.
    expect(sentHeaders[0]).toMatchObject({ 'content-encoding': 'aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32' });

    const out = await client.send(new GetObjectCommand({ Bucket: 'docs', Key: 'binary/stream.bin' }));
    expect(out.ContentLength).toBe(bytes.length);
    expect(out.ContentEncoding).toBeUndefined(); // aws-chunked is framing, not stored with the object
    // equals() rather than toEqual: jest's deep diff of 70 kB buffers costs half a second.
    expect(Buffer.from(await out.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  it('stores the checksum and returns it for the SDK to validate on GetObject', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'checksummed.txt', Body: 'abc', ChecksumAlgorithm: 'SHA256' }));
    const out = await client.send(new GetObjectCommand({ Bucket: 'docs', Key: 'checksummed.txt', ChecksumMode: 'ENABLED' }));
    expect(out.ChecksumSHA256).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    expect(await out.Body!.transformToString()).toBe('abc');
  });

  it('rejects an upload whose checksum does not match the body with BadDigest', async () => {
    const error = await sdkError(client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'corrupt.txt', Body: 'payload', ChecksumCRC32: 'AAAAAA==' })));
    expect(error.name).toBe('BadDigest');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect((await sdkError(client.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'corrupt.txt' })))).name).toBe('NotFound');
  });

  it('answers a missing key with NoSuchKey (GetObject) and NotFound (HeadObject), a missing bucket with NoSuchBucket', async () => {
    const missingKey = await sdkError(client.send(new GetObjectCommand({ Bucket: 'docs', Key: 'nope/does not exist.txt' })));
    expect(missingKey).toBeInstanceOf(NoSuchKey);
    expect(missingKey.$metadata.httpStatusCode).toBe(404);

    const head = await sdkError(client.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'nope' })));
    expect(head.name).toBe('NotFound');
    expect(head.$metadata.httpStatusCode).toBe(404);

    const missingBucket = await sdkError(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })));
    expect(missingBucket).toBeInstanceOf(NoSuchBucket);
    expect((await sdkError(client.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })))).name).toBe('NotFound');
    await expect(client.send(new HeadBucketCommand({ Bucket: 'docs' }))).resolves.toBeDefined();

    const duplicate = await sdkError(client.send(new CreateBucketCommand({ Bucket: 'docs' })));
    expect(duplicate.name).toBe('BucketAlreadyOwnedByYou');
  });

  it('keeps every version in a versioned bucket and serves each by version id', async () => {
    expect((await client.send(new GetBucketVersioningCommand({ Bucket: 'versioned' }))).Status).toBe('Enabled');
    const first = await client.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'policy.json', Body: '{"v":1}' }));
    const second = await client.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'policy.json', Body: '{"v":2}' }));
    expect(first.VersionId).toEqual(expect.any(String));
    expect(second.VersionId).toEqual(expect.any(String));
    expect(second.VersionId).not.toBe(first.VersionId);

    expect(await getText('versioned', 'policy.json')).toBe('{"v":2}');
    expect(await getText('versioned', 'policy.json', first.VersionId)).toBe('{"v":1}');
    expect(await getText('versioned', 'policy.json', second.VersionId)).toBe('{"v":2}');
    const head = await client.send(new HeadObjectCommand({ Bucket: 'versioned', Key: 'policy.json', VersionId: first.VersionId }));
    expect(head.VersionId).toBe(first.VersionId);

    const missingVersion = await sdkError(client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'policy.json', VersionId: 'not-a-version' })));
    expect(missingVersion.name).toBe('NoSuchVersion');

    // A plain delete only adds a delete marker: the key disappears, the old versions stay readable.
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'policy.json' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toEqual(expect.any(String));
    expect(await sdkError(client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'policy.json' })))).toBeInstanceOf(NoSuchKey);
    expect(await getText('versioned', 'policy.json', first.VersionId)).toBe('{"v":1}');
    expect((await client.send(new ListObjectsV2Command({ Bucket: 'versioned' }))).KeyCount).toBe(0);

    // Deleting the marker itself brings the latest version back.
    await client.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'policy.json', VersionId: deleted.VersionId }));
    expect(await getText('versioned', 'policy.json')).toBe('{"v":2}');
  });

  it('deletes objects in an unversioned bucket, idempotently', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'tmp/delete-me', Body: 'x' }));
    await client.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'tmp/delete-me' }));
    await client.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'tmp/delete-me' }));
    expect(await sdkError(client.send(new GetObjectCommand({ Bucket: 'docs', Key: 'tmp/delete-me' })))).toBeInstanceOf(NoSuchKey);
  });

  it('pages ListObjectsV2 with max-keys and continuation tokens, in UTF-8 byte order', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'paging' }));
    const keys = ['b', 'a', 'a/1', 'a/2', 'c d', '\uffff', '😀', 'Z'];
    for (const Key of keys) await client.send(new PutObjectCommand({ Bucket: 'paging', Key, Body: Key }));

    const seen: string[] = [];
    const pageSizes: number[] = [];
    for await (const page of paginateListObjectsV2({ client, pageSize: 3 }, { Bucket: 'paging' })) {
      pageSizes.push(page.KeyCount ?? -1);
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
    }
    expect(pageSizes).toEqual([3, 3, 2]);
    expect(seen).toEqual(['Z', 'a', 'a/1', 'a/2', 'b', 'c d', '\uffff', '😀']);

    const afterA = await client.send(new ListObjectsV2Command({ Bucket: 'paging', StartAfter: 'a/1', MaxKeys: 2 }));
    expect(afterA.Contents?.map((o) => o.Key)).toEqual(['a/2', 'b']);
    expect(afterA.IsTruncated).toBe(true);
    expect(afterA.NextContinuationToken).toEqual(expect.any(String));
  });

  it('groups keys under CommonPrefixes when a delimiter is given', async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: 'paging', Delimiter: '/' }));
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/']);
    expect(out.Contents?.map((o) => o.Key)).toEqual(['Z', 'a', 'b', 'c d', '\uffff', '😀']);
    expect(out.KeyCount).toBe(7);
  });

  it('answers operations it does not emulate with NotImplemented instead of misbehaving', async () => {
    const ranged = await sdkError(client.send(new GetObjectCommand({ Bucket: 'docs', Key: UNICODE_KEY, Range: 'bytes=0-3' })));
    expect(ranged.name).toBe('NotImplemented');
    expect(ranged.$metadata.httpStatusCode).toBe(501);
  });

  it('supports conditional create with If-None-Match: *', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'once.txt', Body: '1', IfNoneMatch: '*' }));
    const again = await sdkError(client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'once.txt', Body: '2', IfNoneMatch: '*' })));
    expect(again.name).toBe('PreconditionFailed');
    expect(await getText('docs', 'once.txt')).toBe('1');
  });

  it('calls onObjectCreated with an S3-notification record after each PutObject', async () => {
    const before = records.length;
    const plain = await client.send(new PutObjectCommand({ Bucket: 'docs', Key: 'inbox/Invoice #7 (ACME) + tax é.pdf', Body: 'pdf bytes' }));
    const versioned = await client.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'inbox/a b.txt', Body: 'v' }));
    const [first, second] = (await recordsReceived(before + 2)).slice(before);

    // Compile-time check: the record is usable wherever a Lambda S3 handler expects one.
    const event: S3Event = { Records: [first as S3EventRecord, second as S3EventRecordLike] };
    expect(event.Records).toHaveLength(2);

    expect(first).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'us-east-1',
      s3: {
        bucket: { name: 'docs', arn: 'arn:aws:s3:::docs' },
        object: { key: 'inbox/Invoice+%237+%28ACME%29+%2B+tax+%C3%A9.pdf', size: 9, eTag: plain.ETag!.replace(/"/g, '') },
      },
    });
    expect(decodeURIComponent(first!.s3.object.key.replace(/\+/g, ' '))).toBe('inbox/Invoice #7 (ACME) + tax é.pdf');
    expect(first!.s3.object.versionId).toBeUndefined();
    expect(new Date(first!.eventTime).toISOString()).toBe(first!.eventTime);

    expect(second!.s3.object.key).toBe('inbox/a+b.txt');
    expect(second!.s3.object.versionId).toBe(versioned.VersionId);
    expect(second!.s3.object.sequencer > first!.s3.object.sequencer).toBe(true);
  });

  it('stop() closes keep-alive connections and frees the port', async () => {
    const other = await startLocalS3();
    const otherClient = new S3Client({ ...localS3ClientConfig(other.endpoint), maxAttempts: 1 });
    await otherClient.send(new CreateBucketCommand({ Bucket: 'short-lived' })); // leaves a keep-alive socket open
    await other.stop();
    await other.stop(); // idempotent

    // The client's pooled socket was closed under it, and no new connection is accepted.
    await expect(otherClient.send(new HeadBucketCommand({ Bucket: 'short-lived' }))).rejects.toThrow();
    otherClient.destroy();
    const refused = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = net.connect(other.port, '127.0.0.1', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', resolve);
    });
    expect(refused?.code).toBe('ECONNREFUSED');
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(other.port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('fails clearly when a fixed port is taken', async () => {
    await expect(startLocalS3({ port: s3.port })).rejects.toThrow(/already in use/);
  });
});
