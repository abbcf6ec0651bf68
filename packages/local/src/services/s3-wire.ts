/**
 * Wire-format helpers for the local S3 server: aws-chunked bodies, checksums, XML text, event keys.
 * Pure functions, kept apart from the HTTP server so they can be tested byte for byte.
 */
import { createHash } from 'node:crypto';

/** A protocol error with the S3 error code the SDK maps to an exception class. */
export class S3ProtocolError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    /** Extra `<Error>` children (e.g. `Key`, `BucketName`) and their values. */
    readonly details: Readonly<Record<string, string>> = {},
    /** Extra response headers (e.g. `x-amz-delete-marker`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** A decoded `aws-chunked` body. */
export interface DecodedChunkedBody {
  readonly body: Buffer;
  /** Trailing headers, lower-cased names (e.g. `x-amz-checksum-crc32`). */
  readonly trailers: ReadonlyMap<string, string>;
}

/**
 * Decodes an `aws-chunked` payload (`Content-Encoding: aws-chunked`), the framing the SDK uses for
 * streaming uploads: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` repeated, a zero-size chunk, then
 * optional trailer lines (`x-amz-checksum-crc32:…`) and a blank line. Covers the unsigned-trailer mode
 * recent SDKs default to and the SigV4-signed chunk modes (signatures are not verified: dummy creds).
 *
 * The HTTP `Transfer-Encoding: chunked` layer is already removed by Node's HTTP parser; this is the
 * AWS framing inside it.
 *
 * @throws S3ProtocolError `IncompleteBody` when the framing is truncated or malformed
 */
export function decodeAwsChunked(payload: Buffer): DecodedChunkedBody {
  const parts: Buffer[] = [];
  let offset = 0;
  const readLine = (): string => {
    const end = payload.indexOf('\r\n', offset, 'latin1');
    if (end < 0) throw malformed('a chunk header or trailer line is not terminated by CRLF');
    const line = payload.toString('latin1', offset, end);
    offset = end + 2;
    return line;
  };
  for (;;) {
    const header = readLine();
    const sizeText = header.split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw malformed(`bad chunk size ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) break;
    if (offset + size + 2 > payload.length) throw malformed('a chunk is shorter than its declared size');
    parts.push(payload.subarray(offset, offset + size));
    offset += size;
    if (payload.toString('latin1', offset, offset + 2) !== '\r\n') throw malformed('chunk data is not followed by CRLF');
    offset += 2;
  }
  const trailers = new Map<string, string>();
  // Trailer section: header lines until an empty line (or the end of the body, which some clients omit).
  while (offset < payload.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad trailer line ${JSON.stringify(line)}`);
    trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { body: Buffer.concat(parts), trailers };
}

function malformed(detail: string): S3ProtocolError {
  return new S3ProtocolError('IncompleteBody', 400, `The aws-chunked request body is malformed: ${detail}.`);
}

/** Checksum algorithms S3 accepts, as they appear in `x-amz-checksum-<algorithm>` headers. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
/** One of {@link CHECKSUM_ALGORITHMS}. */
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/**
 * Base64 checksum of `data` as S3 computes it, or `undefined` for CRC64NVME, which is accepted and
 * stored but not verified (no implementation in Node's standard library, and the SDK only uses it
 * when asked to).
 */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Buffer): string | undefined {
  switch (algorithm) {
    case 'crc32':
      return crcBase64(data, CRC32_TABLE);
    case 'crc32c':
      return crcBase64(data, CRC32C_TABLE);
    case 'sha1':
    case 'sha256':
      return createHash(algorithm).update(data).digest('base64');
    case 'crc64nvme':
      return undefined;
  }
}

// Table-driven reflected CRC-32. Hand-rolled because zlib.crc32 only exists from Node 20.15 / 22.2
// and there is no CRC-32C in Node at all.
function crcTable(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

function crcBase64(data: Buffer, table: Uint32Array): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/**
 * Escapes text for an XML element. Besides the five entities, control characters become numeric
 * references: the SDK's parser normalises raw CR/CRLF to LF and would otherwise alter such keys.
 */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"'\u0000-\u001f\u007f]/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${ch.charCodeAt(0).toString(16)};`;
    }
  });
}

/**
 * Encodes an object key the way S3 event notifications do (form URL encoding: space → `+`, `+` →
 * `%2B`, non-ASCII as UTF-8 percent escapes, `/` kept). Handlers decode it with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

/** Orders keys by their UTF-8 bytes, as S3 lists them (differs from JS string order for astral chars). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
