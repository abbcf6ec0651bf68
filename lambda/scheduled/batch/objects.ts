import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** The objects of one bucket, as the scheduled workflow reads and writes them. */
export class BucketObjects {
  constructor(private readonly s3: S3Client, public readonly bucket: string) {}

  /** The object's text, or undefined when there is no such key. */
  async getText(key: string): Promise<string | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await object.Body!.transformToString('utf8');
    } catch (error) {
      if (isError(error, 'NoSuchKey', 404)) return undefined;
      throw error;
    }
  }

  /** The object's text and ETag (to write over exactly this version, `ifMatch`), or undefined when there is no such key. */
  async getTextTagged(key: string): Promise<{ readonly text: string; readonly etag: string | undefined } | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { text: await object.Body!.transformToString('utf8'), etag: object.ETag };
    } catch (error) {
      if (isError(error, 'NoSuchKey', 404)) return undefined;
      throw error;
    }
  }

  /** The object parsed as JSON, or undefined when there is no such key. */
  async getJson<T>(key: string): Promise<T | undefined> {
    const text = await this.getText(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /**
   * Writes `value` as JSON. With `onlyIfAbsent`, S3 refuses to overwrite an existing object (a conditional write,
   * `If-None-Match: *`); with `ifMatch`, to overwrite any but that ETag's version (`If-Match`). Either way this
   * returns false instead of writing when the condition fails.
   */
  async putJson(key: string, value: unknown, options: PutConditions = {}): Promise<boolean> {
    return this.putText(key, JSON.stringify(value), 'application/json', options);
  }

  /** Writes text; see {@link putJson} for the conditions. */
  async putText(key: string, body: string, contentType: string, options: PutConditions = {}): Promise<boolean> {
    try {
      await this.s3.send(new PutObjectCommand({
        Bucket: this.bucket, Key: key, Body: body, ContentType: contentType,
        ...(options.onlyIfAbsent ? { IfNoneMatch: '*' } : {}), ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
      }));
      return true;
    } catch (error) {
      if ((options.onlyIfAbsent || options.ifMatch) && isError(error, 'PreconditionFailed', 412)) return false;
      throw error;
    }
  }

  /** Every key under `prefix` (folders, keys ending in '/', left out). */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}

/** Conditions of a write: see {@link BucketObjects.putJson}. */
export interface PutConditions {
  readonly onlyIfAbsent?: boolean;
  readonly ifMatch?: string;
}

/** Whether an SDK error is the named one, or carries its HTTP status (for errors the SDK could not name). */
export function isError(error: unknown, name: string, status?: number): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === name || (status !== undefined && e?.$metadata?.httpStatusCode === status);
}
