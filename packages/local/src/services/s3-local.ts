/**
 * A small in-memory S3 server on 127.0.0.1 for the real `@aws-sdk/client-s3` (`forcePathStyle: true`).
 *
 * It implements what the workflows use, with S3's status codes, headers and XML so the SDK's own
 * deserializers and error classes work unchanged: CreateBucket, HeadBucket, DeleteBucket, ListBuckets,
 * Put/GetBucketVersioning, PutObject (plain, aws-chunked with trailing checksums, `If-None-Match: *`,
 * `If-Match`), GetObject / HeadObject (current or by `versionId`, checksum mode, `response-*`
 * overrides), DeleteObject (delete markers when versioned) and ListObjectsV2 (prefix, delimiter,
 * max-keys, start-after, continuation tokens). Anything else answers 501 `NotImplemented` rather than
 * silently misbehaving (e.g. Range reads, multipart uploads, CopyObject, tagging).
 *
 * Signatures are not checked. State lives in memory and dies with `stop()`.
 *
 * Written instead of using the `s3rver` package: s3rver (last released 2021) answers
 * PutBucketVersioning with NotImplemented, does not decode the SDK's default aws-chunked uploads with
 * trailing checksums, and depends on unmaintained packages (busboy 0.3 / fast-xml-parser 3).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_REGION, localClientConfig } from './client-config';
import {
  CHECKSUM_ALGORITHMS,
  S3ProtocolError,
  compareKeys,
  computeChecksum,
  decodeAwsChunked,
  encodeEventKey,
  xmlEscape,
  type ChecksumAlgorithm,
} from './s3-wire';

/**
 * An `ObjectCreated:Put` notification record, shaped like the records S3 delivers to Lambda
 * (structurally compatible with `S3EventRecord` from `@types/aws-lambda`). Wrap it as
 * `{ Records: [record] }` to get an `S3Event`.
 */
export interface S3EventRecordLike {
  readonly eventVersion: string;
  readonly eventSource: 'aws:s3';
  readonly awsRegion: string;
  /** ISO-8601 time the upload completed. */
  readonly eventTime: string;
  readonly eventName: 'ObjectCreated:Put';
  readonly userIdentity: { readonly principalId: string };
  readonly requestParameters: { readonly sourceIPAddress: string };
  readonly responseElements: { readonly 'x-amz-request-id': string; readonly 'x-amz-id-2': string };
  readonly s3: {
    readonly s3SchemaVersion: string;
    readonly configurationId: string;
    readonly bucket: { readonly name: string; readonly ownerIdentity: { readonly principalId: string }; readonly arn: string };
    readonly object: {
      /** URL-encoded like S3 does it (`a b+c.txt` → `a+b%2Bc.txt`). */
      readonly key: string;
      readonly size: number;
      /** MD5 hex, without quotes. */
      readonly eTag: string;
      /** Present only for buckets with versioning configured. */
      readonly versionId?: string;
      /** Hex string; a later event on the same server has a greater value. */
      readonly sequencer: string;
    };
  };
}

/** Options for {@link startLocalS3}. */
export interface StartLocalS3Options {
  /** Fixed port on 127.0.0.1. Default: a free port chosen by the OS. */
  readonly port?: number;
  /**
   * Called after each successful PutObject, once the response has been sent (S3 notifications are
   * asynchronous too). Errors thrown or rejected by the callback are reported as process warnings;
   * they cannot fail the upload that already succeeded.
   */
  readonly onObjectCreated?: (record: S3EventRecordLike) => void | Promise<void>;
}

/** A running local S3 server. */
export interface LocalS3 {
  /** Base URL for `S3Client` (with `forcePathStyle: true`), e.g. `http://127.0.0.1:41235`. */
  readonly endpoint: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Closes the server and all connections; resolves once the port is free. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Configuration for an `S3Client` pointed at a local S3: {@link localClientConfig} plus path-style
 * addressing (virtual-hosted buckets would need DNS names like `bucket.127.0.0.1`).
 */
export function localS3ClientConfig(endpoint: string): ReturnType<typeof localClientConfig> & { forcePathStyle: true } {
  return { ...localClientConfig(endpoint), forcePathStyle: true };
}

/**
 * Starts the in-memory S3 server on 127.0.0.1.
 *
 * @example
 * const s3 = await startLocalS3({ onObjectCreated: (record) => handler({ Records: [record] }) });
 * const client = new S3Client(localS3ClientConfig(s3.endpoint));
 */
export async function startLocalS3(options: StartLocalS3Options = {}): Promise<LocalS3> {
  const store = new S3Store(options.onObjectCreated);
  const server = http.createServer((req, res) => {
    store.handle(req, res).catch((error: unknown) => {
      // A bug in the emulator: answer like S3's InternalError instead of leaving the SDK hanging.
      if (!res.headersSent) sendError(req, res, new S3ProtocolError('InternalError', 500, String(error)));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Local S3 could not listen on 127.0.0.1:${options.port}: the port is already in use.`) : error),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      })),
  };
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
/** Objects are held in memory; this keeps a runaway test from exhausting it. */
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/** Query parameters that select a sub-resource we do not implement (answered with NotImplemented). */
const UNSUPPORTED_SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering',
  'inventory', 'legal-hold', 'lifecycle', 'logging', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versions', 'website', 'location',
];

/** Headers stored with an object and returned by GetObject/HeadObject. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-language', 'expires', 'x-amz-storage-class', 'x-amz-website-redirect-location'];

interface ObjectVersion {
  /** `"null"` for versions written while versioning was off or suspended, as in S3. */
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly body: Buffer;
  /** Quoted MD5 hex, as in the `ETag` header. */
  readonly etag: string;
  /** Truncated to whole seconds: HTTP dates carry no milliseconds, and List must agree with Head. */
  readonly lastModified: Date;
  readonly contentType: string;
  readonly contentEncoding?: string;
  /** Lower-cased header name → value: {@link STORED_HEADERS} and `x-amz-meta-*`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
}

interface Bucket {
  readonly name: string;
  readonly creationDate: Date;
  /** Undefined until versioning is first configured; S3 never returns a bucket to that state. */
  versioning: 'Enabled' | 'Suspended' | undefined;
  /** Key → versions, oldest first; the last entry is the current version. */
  readonly objects: Map<string, ObjectVersion[]>;
}

interface RequestContext {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly bucket: string;
  readonly key: string;
  readonly query: URLSearchParams;
  readonly requestId: string;
  readonly hostId: string;
}

class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private sequence = BigInt(Date.now()) << 16n;

  constructor(private readonly onObjectCreated: StartLocalS3Options['onObjectCreated']) {}

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const hostId = randomBytes(24).toString('base64');
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', hostId);
    try {
      const ctx: RequestContext = { req, res, requestId, hostId, ...parseTarget(req.url ?? '/') };
      await this.route(ctx);
    } catch (error) {
      if (!(error instanceof S3ProtocolError)) throw error;
      req.resume(); // drain an unread body so the keep-alive connection stays usable
      sendError(req, res, error);
    }
  }

  private async route(ctx: RequestContext): Promise<void> {
    const method = ctx.req.method ?? 'GET';
    const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => ctx.query.has(name));
    if (ctx.bucket === '') {
      if (method === 'GET') return this.listBuckets(ctx);
      throw methodNotAllowed(method);
    }
    if (unsupported) throw notImplemented(`the ?${unsupported} sub-resource`);
    if (ctx.key === '') {
      switch (method) {
        case 'PUT':
          return ctx.query.has('versioning') ? this.putBucketVersioning(ctx) : this.createBucket(ctx);
        case 'GET':
          if (ctx.query.has('versioning')) return this.getBucketVersioning(ctx);
          if (ctx.query.get('list-type') === '2') return this.listObjectsV2(ctx);
          throw notImplemented('ListObjects (v1); use ListObjectsV2');
        case 'HEAD':
          this.bucketOrThrow(ctx.bucket);
          return void ctx.res.end();
        case 'DELETE':
          return this.deleteBucket(ctx);
        default:
          throw methodNotAllowed(method);
      }
    }
    switch (method) {
      case 'PUT':
        if (ctx.req.headers['x-amz-copy-source'] !== undefined) throw notImplemented('CopyObject');
        return this.putObject(ctx);
      case 'GET':
      case 'HEAD':
        return this.getObject(ctx, method === 'HEAD');
      case 'DELETE':
        return this.deleteObject(ctx);
      default:
        throw methodNotAllowed(method);
    }
  }

  private bucketOrThrow(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new S3ProtocolError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: name });
    return bucket;
  }

  private listBuckets(ctx: RequestContext): void {
    const buckets = [...this.buckets.values()]
      .sort((a, b) => compareKeys(a.name, b.name))
      .map((b) => `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${b.creationDate.toISOString()}</CreationDate></Bucket>`)
      .join('');
    sendXml(ctx.res, 200, `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>${OWNER_ID}</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`);
  }

  private async createBucket(ctx: RequestContext): Promise<void> {
    await readBody(ctx.req); // an optional CreateBucketConfiguration; the region in it does not matter here
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(ctx.bucket)) {
      throw new S3ProtocolError('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: ctx.bucket });
    }
    if (this.buckets.has(ctx.bucket)) {
      throw new S3ProtocolError('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: ctx.bucket });
    }
    this.buckets.set(ctx.bucket, { name: ctx.bucket, creationDate: wholeSeconds(new Date()), versioning: undefined, objects: new Map() });
    ctx.res.setHeader('Location', `/${ctx.bucket}`);
    ctx.res.end();
  }

  private deleteBucket(ctx: RequestContext): void {
    const bucket = this.bucketOrThrow(ctx.bucket);
    if (bucket.objects.size > 0) {
      throw new S3ProtocolError('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: ctx.bucket });
    }
    this.buckets.delete(ctx.bucket);
    ctx.res.statusCode = 204;
    ctx.res.end();
  }

  private async putBucketVersioning(ctx: RequestContext): Promise<void> {
    const bucket = this.bucketOrThrow(ctx.bucket);
    const xml = (await readBody(ctx.req)).toString('utf8');
    const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(xml)?.[1];
    if (status !== 'Enabled' && status !== 'Suspended') {
      throw new S3ProtocolError('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
    }
    bucket.versioning = status;
    ctx.res.end();
  }

  private getBucketVersioning(ctx: RequestContext): void {
    const bucket = this.bucketOrThrow(ctx.bucket);
    const status = bucket.versioning ? `<Status>${bucket.versioning}</Status>` : '';
    sendXml(ctx.res, 200, `<VersioningConfiguration xmlns="${XMLNS}">${status}</VersioningConfiguration>`);
  }

  private async putObject(ctx: RequestContext): Promise<void> {
    const { req, res } = ctx;
    const bucket = this.bucketOrThrow(ctx.bucket);
    const raw = await readBody(req);
    const { body, trailers } = decodeUploadBody(req, raw);
    const checksum = verifyChecksums(req, body, trailers);

    const current = bucket.objects.get(ctx.key)?.at(-1);
    const exists = current !== undefined && !current.deleteMarker;
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch.trim() !== '*') throw notImplemented('If-None-Match with an ETag on PutObject');
      if (exists) throw new S3ProtocolError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    const ifMatch = header(req, 'if-match');
    if (ifMatch !== undefined) {
      if (!exists) throw new S3ProtocolError('NoSuchKey', 404, 'The specified key does not exist.', { Key: ctx.key });
      if (ifMatch.trim() !== '*' && ifMatch.trim() !== current.etag) {
        throw new S3ProtocolError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
      }
    }

    const storedHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && (name.startsWith('x-amz-meta-') || STORED_HEADERS.includes(name))) storedHeaders[name] = value;
    }
    // aws-chunked is transport framing, not a property of the object: S3 strips it and keeps the rest.
    const contentEncoding = (header(req, 'content-encoding') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '' && e !== 'aws-chunked')
      .join(',');
    const md5 = createHash('md5').update(body).digest('hex');
    const version: ObjectVersion = {
      versionId: bucket.versioning === 'Enabled' ? newVersionId() : 'null',
      deleteMarker: false,
      body,
      etag: `"${md5}"`,
      lastModified: wholeSeconds(new Date()),
      contentType: header(req, 'content-type') ?? 'binary/octet-stream',
      ...(contentEncoding ? { contentEncoding } : {}),
      headers: storedHeaders,
      ...(checksum ? { checksum } : {}),
    };
    addVersion(bucket, ctx.key, version);

    res.setHeader('ETag', version.etag);
    if (bucket.versioning !== undefined) res.setHeader('x-amz-version-id', version.versionId);
    if (checksum) {
      res.setHeader(`x-amz-checksum-${checksum.algorithm}`, checksum.value);
      res.setHeader('x-amz-checksum-type', 'FULL_OBJECT');
    }
    if (this.onObjectCreated) {
      const record = this.eventRecord(ctx, bucket, version);
      const callback = this.onObjectCreated;
      res.once('finish', () => setImmediate(() => deliver(callback, record)));
    }
    res.end();
  }

  private eventRecord(ctx: RequestContext, bucket: Bucket, version: ObjectVersion): S3EventRecordLike {
    this.sequence += 1n;
    return {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: LOCAL_REGION,
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:LOCAL' },
      requestParameters: { sourceIPAddress: ctx.req.socket.remoteAddress ?? '127.0.0.1' },
      responseElements: { 'x-amz-request-id': ctx.requestId, 'x-amz-id-2': ctx.hostId },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'local-object-created',
        bucket: { name: bucket.name, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket.name}` },
        object: {
          key: encodeEventKey(ctx.key),
          size: version.body.length,
          eTag: version.etag.slice(1, -1),
          ...(bucket.versioning !== undefined ? { versionId: version.versionId } : {}),
          sequencer: this.sequence.toString(16).toUpperCase().padStart(18, '0'),
        },
      },
    };
  }

  private getObject(ctx: RequestContext, headOnly: boolean): void {
    const { req, res, query } = ctx;
    for (const name of ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
      if (req.headers[name] !== undefined) throw notImplemented(`the ${name} header on GetObject/HeadObject`);
    }
    const bucket = this.bucketOrThrow(ctx.bucket);
    const version = findVersion(bucket, ctx.key, query.get('versionId'));
    const versioned = bucket.versioning !== undefined;

    res.setHeader('Content-Type', query.get('response-content-type') ?? version.contentType);
    res.setHeader('Content-Length', String(version.body.length));
    res.setHeader('ETag', version.etag);
    res.setHeader('Last-Modified', version.lastModified.toUTCString());
    res.setHeader('Accept-Ranges', 'bytes');
    if (versioned) res.setHeader('x-amz-version-id', version.versionId);
    for (const [name, value] of Object.entries(version.headers)) res.setHeader(name, value);
    if (version.contentEncoding) res.setHeader('Content-Encoding', version.contentEncoding);
    for (const override of ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires']) {
      const value = query.get(`response-${override}`);
      if (value !== null) res.setHeader(override, value);
    }
    // Like S3, only return the stored checksum when asked; the SDK asks by default and then verifies
    // the body against it, so this also exercises the client's validation path.
    if (version.checksum && header(req, 'x-amz-checksum-mode') === 'ENABLED') {
      res.setHeader(`x-amz-checksum-${version.checksum.algorithm}`, version.checksum.value);
      res.setHeader('x-amz-checksum-type', 'FULL_OBJECT');
    }
    res.statusCode = 200;
    res.end(headOnly ? undefined : version.body);
  }

  private deleteObject(ctx: RequestContext): void {
    const { res } = ctx;
    const bucket = this.bucketOrThrow(ctx.bucket);
    const versions = bucket.objects.get(ctx.key) ?? [];
    const versionId = ctx.query.get('versionId');
    res.statusCode = 204;
    if (versionId !== null) {
      // Deleting one specific version removes it for good; S3 answers 204 even if it never existed.
      const index = versions.findIndex((v) => v.versionId === versionId);
      if (index >= 0) {
        const [removed] = versions.splice(index, 1);
        if (removed?.deleteMarker) res.setHeader('x-amz-delete-marker', 'true');
        if (versions.length === 0) bucket.objects.delete(ctx.key);
      }
      res.setHeader('x-amz-version-id', versionId);
      return void res.end();
    }
    if (bucket.versioning === undefined) {
      bucket.objects.delete(ctx.key); // idempotent: 204 whether or not the key existed
      return void res.end();
    }
    const marker: ObjectVersion = {
      versionId: bucket.versioning === 'Enabled' ? newVersionId() : 'null',
      deleteMarker: true,
      body: Buffer.alloc(0),
      etag: '""',
      lastModified: wholeSeconds(new Date()),
      contentType: 'binary/octet-stream',
      headers: {},
    };
    addVersion(bucket, ctx.key, marker);
    res.setHeader('x-amz-delete-marker', 'true');
    res.setHeader('x-amz-version-id', marker.versionId);
    res.end();
  }

  private listObjectsV2(ctx: RequestContext): void {
    const bucket = this.bucketOrThrow(ctx.bucket);
    const q = ctx.query;
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeysText = q.get('max-keys');
    const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      throw new S3ProtocolError('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: String(maxKeysText) });
    }
    const limit = Math.min(maxKeys, 1000);
    const continuationToken = q.get('continuation-token');
    const startAfter = q.get('start-after');
    const urlEncoding = q.get('encoding-type') === 'url';
    const enc = (text: string): string => xmlEscape(urlEncoding ? encodeURIComponent(text).replace(/%2F/g, '/') : text);

    // Resume point: the continuation token wins over start-after, as in S3.
    let marker = startAfter ?? '';
    let skipPrefix: string | undefined;
    if (continuationToken !== null) {
      const decoded = decodeContinuationToken(continuationToken);
      marker = decoded.after;
      skipPrefix = decoded.commonPrefix ? decoded.after : undefined;
    }

    const keys = [...bucket.objects.entries()]
      .filter(([key, versions]) => key.startsWith(prefix) && !versions.at(-1)?.deleteMarker)
      .map(([key]) => key)
      .filter((key) => compareKeys(key, marker) > 0 && !(skipPrefix !== undefined && key.startsWith(skipPrefix)))
      .sort(compareKeys);

    const contents: string[] = [];
    const commonPrefixes: string[] = [];
    let truncated = false;
    let last: { readonly value: string; readonly commonPrefix: boolean } | undefined;
    for (const key of keys) {
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const commonPrefix = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
      if (commonPrefix !== undefined && last?.commonPrefix && last.value === commonPrefix) continue;
      if (contents.length + commonPrefixes.length >= limit) {
        truncated = limit > 0; // max-keys=0 asks for no entries, not for an endless paginator
        break;
      }
      if (commonPrefix !== undefined) {
        commonPrefixes.push(`<CommonPrefixes><Prefix>${enc(commonPrefix)}</Prefix></CommonPrefixes>`);
        last = { value: commonPrefix, commonPrefix: true };
      } else {
        const version = bucket.objects.get(key)?.at(-1) as ObjectVersion;
        const owner = q.get('fetch-owner') === 'true' ? `<Owner><ID>${OWNER_ID}</ID><DisplayName>local</DisplayName></Owner>` : '';
        const checksum = version.checksum ? `<ChecksumAlgorithm>${version.checksum.algorithm.toUpperCase()}</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>` : '';
        contents.push(
          `<Contents><Key>${enc(key)}</Key><LastModified>${version.lastModified.toISOString()}</LastModified>` +
            `<ETag>${xmlEscape(version.etag)}</ETag>${checksum}<Size>${version.body.length}</Size>${owner}<StorageClass>STANDARD</StorageClass></Contents>`,
        );
        last = { value: key, commonPrefix: false };
      }
    }

    const parts = [
      `<Name>${xmlEscape(bucket.name)}</Name>`,
      `<Prefix>${enc(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      `<KeyCount>${contents.length + commonPrefixes.length}</KeyCount>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      urlEncoding ? '<EncodingType>url</EncodingType>' : '',
      continuationToken !== null ? `<ContinuationToken>${xmlEscape(continuationToken)}</ContinuationToken>` : '',
      truncated && last ? `<NextContinuationToken>${encodeContinuationToken(last.value, last.commonPrefix)}</NextContinuationToken>` : '',
      startAfter !== null ? `<StartAfter>${enc(startAfter)}</StartAfter>` : '',
      ...contents,
      ...commonPrefixes,
    ];
    sendXml(ctx.res, 200, `<ListBucketResult xmlns="${XMLNS}">${parts.join('')}</ListBucketResult>`);
  }
}

/** Splits `/bucket/key…?query` without URL normalisation (which would rewrite keys like `a/../b`). */
function parseTarget(url: string): { bucket: string; key: string; query: URLSearchParams } {
  const queryStart = url.indexOf('?');
  const rawPath = (queryStart >= 0 ? url.slice(0, queryStart) : url).replace(/^\//, '');
  const query = new URLSearchParams(queryStart >= 0 ? url.slice(queryStart + 1) : '');
  const slash = rawPath.indexOf('/');
  try {
    return {
      bucket: decodeURIComponent(slash >= 0 ? rawPath.slice(0, slash) : rawPath),
      key: slash >= 0 ? decodeURIComponent(rawPath.slice(slash + 1)) : '',
      query,
    };
  } catch {
    throw new S3ProtocolError('InvalidURI', 400, "Couldn't parse the specified URI.");
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  // Event listeners rather than `for await`: leaving an async iterator early destroys the request and
  // with it the socket, and then the EntityTooLarge answer could not be sent.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OBJECT_BYTES) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > MAX_OBJECT_BYTES) {
        reject(new S3ProtocolError('EntityTooLarge', 400, `Your proposed upload exceeds the local S3 limit of ${MAX_OBJECT_BYTES} bytes.`));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

/** Removes aws-chunked framing when present and checks the body against the signed SHA-256. */
function decodeUploadBody(req: http.IncomingMessage, raw: Buffer): { body: Buffer; trailers: ReadonlyMap<string, string> } {
  const contentSha256 = header(req, 'x-amz-content-sha256');
  const chunked = (header(req, 'content-encoding') ?? '').split(',').some((e) => e.trim() === 'aws-chunked') || (contentSha256?.startsWith('STREAMING-') ?? false);
  if (chunked) {
    const decoded = decodeAwsChunked(raw);
    const declared = header(req, 'x-amz-decoded-content-length');
    if (declared !== undefined && Number(declared) !== decoded.body.length) {
      throw new S3ProtocolError('IncompleteBody', 400, `x-amz-decoded-content-length is ${declared} but the body holds ${decoded.body.length} bytes.`);
    }
    return decoded;
  }
  if (contentSha256 && /^[0-9a-f]{64}$/.test(contentSha256)) {
    const actual = createHash('sha256').update(raw).digest('hex');
    if (actual !== contentSha256) {
      throw new S3ProtocolError('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: contentSha256,
        S3ComputedContentSHA256: actual,
      });
    }
  }
  return { body: raw, trailers: new Map() };
}

/**
 * Verifies Content-MD5 and the flexible checksum (header or trailer), as S3 does, so a client bug in
 * checksum handling fails here instead of in production. Returns the checksum to store, if any.
 */
function verifyChecksums(req: http.IncomingMessage, body: Buffer, trailers: ReadonlyMap<string, string>): ObjectVersion['checksum'] {
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && createHash('md5').update(body).digest('base64') !== contentMd5) {
    throw new S3ProtocolError('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
  }
  const announcedTrailer = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  let found: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${algorithm}`;
    const value = header(req, name) ?? trailers.get(name);
    if (value !== undefined) found = { algorithm, value };
  }
  if (announcedTrailer?.startsWith('x-amz-checksum-') && !trailers.has(announcedTrailer)) {
    throw new S3ProtocolError('IncompleteBody', 400, `The request announced the trailer ${announcedTrailer} but did not send it.`);
  }
  if (!found) return undefined;
  const expected = computeChecksum(found.algorithm, body);
  if (expected !== undefined && expected !== found.value) {
    throw new S3ProtocolError('BadDigest', 400, `The ${found.algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
  }
  return found;
}

function findVersion(bucket: Bucket, key: string, versionId: string | null): ObjectVersion {
  const versions = bucket.objects.get(key) ?? [];
  if (versionId !== null) {
    const version = versions.find((v) => v.versionId === versionId);
    if (!version) throw new S3ProtocolError('NoSuchVersion', 404, 'The specified version does not exist.', { Key: key, VersionId: versionId });
    if (version.deleteMarker) {
      throw new S3ProtocolError('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' }, {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': version.versionId,
        'Last-Modified': version.lastModified.toUTCString(),
      });
    }
    return version;
  }
  const current = versions.at(-1);
  if (!current) throw new S3ProtocolError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
  if (current.deleteMarker) {
    throw new S3ProtocolError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': current.versionId });
  }
  return current;
}

/** Appends a version; a `"null"` version replaces the previous `"null"` one, as S3 does. */
function addVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
  const versions = (bucket.objects.get(key) ?? []).filter((v) => version.versionId !== 'null' || v.versionId !== 'null');
  versions.push(version);
  bucket.objects.set(key, versions);
}

function newVersionId(): string {
  // S3 version ids are opaque URL-safe strings of 32 characters.
  return randomBytes(24).toString('base64url');
}

function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function encodeContinuationToken(after: string, commonPrefix: boolean): string {
  return Buffer.from(JSON.stringify({ a: after, p: commonPrefix }), 'utf8').toString('base64url');
}

function decodeContinuationToken(token: string): { after: string; commonPrefix: boolean } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown; p?: unknown };
    if (typeof parsed.a === 'string') return { after: parsed.a, commonPrefix: parsed.p === true };
  } catch {
    // fall through
  }
  throw new S3ProtocolError('InvalidArgument', 400, 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

function sendXml(res: http.ServerResponse, status: number, xml: string): void {
  const body = Buffer.from(XML_DECLARATION + xml, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', String(body.length));
  res.end(body);
}

function sendError(req: http.IncomingMessage, res: http.ServerResponse, error: S3ProtocolError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (req.method === 'HEAD') {
    // S3 sends no body for HEAD errors; the SDK then names the error after the status (404 → NotFound).
    res.statusCode = error.statusCode;
    res.end();
    return;
  }
  const details = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const requestId = String(res.getHeader('x-amz-request-id') ?? '');
  const hostId = String(res.getHeader('x-amz-id-2') ?? '');
  sendXml(
    res,
    error.statusCode,
    `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${details}<RequestId>${requestId}</RequestId><HostId>${xmlEscape(hostId)}</HostId></Error>`,
  );
}

function notImplemented(what: string): S3ProtocolError {
  return new S3ProtocolError('NotImplemented', 501, `The local S3 server does not implement ${what}.`);
}

function methodNotAllowed(method: string): S3ProtocolError {
  return new S3ProtocolError('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', { Method: method });
}

function deliver(callback: NonNullable<StartLocalS3Options['onObjectCreated']>, record: S3EventRecordLike): void {
  const report = (error: unknown): void =>
    process.emitWarning(`onObjectCreated failed for s3://${record.s3.bucket.name}/${record.s3.object.key}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`, {
      code: 'GENAI_FINOPS_LOCAL_S3_CALLBACK',
    });
  try {
    Promise.resolve(callback(record)).catch(report);
  } catch (error) {
    report(error);
  }
}
