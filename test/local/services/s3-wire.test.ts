import { S3ProtocolError, compareKeys, computeChecksum, decodeAwsChunked, encodeEventKey, xmlEscape } from '../../../packages/local/src/services/s3-wire';

describe('decodeAwsChunked', () => {
  it('decodes the unsigned-trailer framing the SDK sends for streamed PutObject bodies', () => {
    // Captured from @aws-sdk/client-s3 uploading a Readable: STREAMING-UNSIGNED-PAYLOAD-TRAILER.
    const wire = Buffer.from('b\r\nstream-data\r\n0\r\nx-amz-checksum-crc32:mfZ5bw==\r\n\r\n', 'latin1');
    const decoded = decodeAwsChunked(wire);
    expect(decoded.body.toString()).toBe('stream-data');
    expect(decoded.trailers.get('x-amz-checksum-crc32')).toBe('mfZ5bw==');
    expect(computeChecksum('crc32', decoded.body)).toBe('mfZ5bw==');
  });

  it('joins several chunks, ignores chunk signatures and keeps binary bytes intact', () => {
    const first = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x30]);
    const second = Buffer.from('second part');
    const wire = Buffer.concat([
      Buffer.from(`${first.length.toString(16)};chunk-signature=${'a'.repeat(64)}\r\n`),
      first,
      Buffer.from(`\r\n${second.length.toString(16)};chunk-signature=${'b'.repeat(64)}\r\n`),
      second,
      Buffer.from(`\r\n0;chunk-signature=${'c'.repeat(64)}\r\n\r\n`),
    ]);
    const decoded = decodeAwsChunked(wire);
    expect(decoded.body).toEqual(Buffer.concat([first, second]));
    expect(decoded.trailers.size).toBe(0);
  });

  it('accepts a body that ends right after the last chunk (no trailer section)', () => {
    expect(decodeAwsChunked(Buffer.from('3\r\nabc\r\n0\r\n')).body.toString()).toBe('abc');
  });

  it.each([
    ['a truncated chunk', '10\r\nshort\r\n0\r\n\r\n'],
    ['a non-hex size', 'zz\r\nabc\r\n0\r\n\r\n'],
    ['a missing terminating chunk', '3\r\nabc\r\n'],
    ['chunk data without CRLF', '3\r\nabcX\r\n0\r\n\r\n'],
  ])('rejects %s with IncompleteBody', (_label, wire) => {
    let caught: unknown;
    try {
      decodeAwsChunked(Buffer.from(wire, 'latin1'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(S3ProtocolError);
    expect((caught as S3ProtocolError).code).toBe('IncompleteBody');
    expect((caught as S3ProtocolError).statusCode).toBe(400);
  });
});

describe('computeChecksum', () => {
  it('matches the standard check values and the SDK-computed header', () => {
    const check = Buffer.from('123456789');
    expect(computeChecksum('crc32', check)).toBe(Buffer.from('cbf43926', 'hex').toString('base64'));
    expect(computeChecksum('crc32c', check)).toBe(Buffer.from('e3069283', 'hex').toString('base64'));
    // x-amz-checksum-crc32 the SDK sent for PutObject Body 'hello world'.
    expect(computeChecksum('crc32', Buffer.from('hello world'))).toBe('DUoRhQ==');
    expect(computeChecksum('crc32', Buffer.alloc(0))).toBe('AAAAAA==');
    expect(computeChecksum('sha256', Buffer.from('abc'))).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
    expect(computeChecksum('sha1', Buffer.from('abc'))).toBe('qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
  });

  it('does not pretend to verify CRC64NVME', () => {
    expect(computeChecksum('crc64nvme', Buffer.from('abc'))).toBeUndefined();
  });
});

describe('encodeEventKey', () => {
  it('form-encodes like S3 notifications and round-trips through the usual handler decoding', () => {
    const key = 'in box/a+b (1)/naïve 東京 😀.txt';
    const encoded = encodeEventKey(key);
    expect(encoded).toBe('in+box/a%2Bb+%281%29/na%C3%AFve+%E6%9D%B1%E4%BA%AC+%F0%9F%98%80.txt');
    expect(decodeURIComponent(encoded.replace(/\+/g, ' '))).toBe(key);
  });
});

describe('xmlEscape', () => {
  it('escapes markup and control characters so the SDK parser returns the original text', () => {
    expect(xmlEscape('a&b<c>"d\'\r\n')).toBe('a&amp;b&lt;c&gt;&quot;d&apos;&#xd;&#xa;');
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes like S3, not by UTF-16 code units like String#localeCompare or <', () => {
    const bmpMax = '\uffff';
    const emoji = '😀'; // U+1F600: F0 9F 98 80 in UTF-8, but surrogate D83D in UTF-16
    expect(emoji < bmpMax).toBe(true);
    expect(compareKeys(bmpMax, emoji)).toBeLessThan(0);
    expect(['b', 'a', emoji, bmpMax].sort(compareKeys)).toEqual(['a', 'b', bmpMax, emoji]);
  });
});
