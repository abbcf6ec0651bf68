/** An uploaded object, whichever way its event arrived. */
export interface UploadedObject {
  readonly bucket: string;
  /** The key as stored in S3 (decoded). */
  readonly key: string;
  /** The version id, or 'null' for an unversioned bucket (S3's own spelling). */
  readonly versionId: string;
  readonly size: number;
  /**
   * S3's `sequencer` of the event: distinct for every write of the key, the same for every delivery of one event.
   * It tells uploads of an unversioned bucket apart, where every version is 'null': the document workflow keys
   * such an upload's result as `null:<sequencer>`, so each upload is processed once and a re-upload is processed
   * again. Undefined when the event carries none.
   */
  readonly sequencer?: string;
}

/**
 * The objects an event announces. Accepts EventBridge "Object Created" events (what the document workflow wires)
 * and S3 bucket-notification records (for apps that wire S3 notifications themselves).
 *
 * S3 notifications URL-encode keys with spaces as '+'; EventBridge events carry the key as stored.
 */
export function uploadedObjects(event: unknown): UploadedObject[] {
  const e = event as Record<string, any> | null;
  if (e && e['detail-type'] === 'Object Created' && e.detail?.bucket?.name && typeof e.detail?.object?.key === 'string') {
    return [{
      bucket: e.detail.bucket.name,
      key: e.detail.object.key,
      versionId: e.detail.object['version-id'] ?? 'null',
      size: Number(e.detail.object.size ?? 0),
      sequencer: e.detail.object.sequencer,
    }];
  }
  if (e && Array.isArray(e.Records)) {
    return e.Records
      .filter((r: any) => typeof r?.eventName === 'string' && r.eventName.startsWith('ObjectCreated') && r.s3?.object?.key)
      .map((r: any) => ({
        bucket: r.s3.bucket.name,
        key: decodeURIComponent(String(r.s3.object.key).replace(/\+/g, ' ')),
        versionId: r.s3.object.versionId ?? 'null',
        size: Number(r.s3.object.size ?? 0),
        sequencer: r.s3.object.sequencer,
      }));
  }
  return [];
}
