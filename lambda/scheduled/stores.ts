import { BATCH_PREFIX } from './batch/config';
import { mapLimit } from './batch/concurrency';
import { batchKeys } from './batch/marker';
import { BucketObjects } from './batch/objects';
import type { DayRecord } from './batch/plan';
import { s3Client } from '../shared/clients';
import { deferredDayPrefix } from './deferred-records';
import type { ScheduleSettings } from './settings';

// Records read from S3 at once.
const READ_CONCURRENCY = 16;

/** Where a day's records are read from and its results written to. */
export class DayStores {
  readonly input: BucketObjects;
  readonly results: BucketObjects;

  constructor(readonly settings: ScheduleSettings) {
    this.input = new BucketObjects(s3Client(), settings.inputBucket);
    this.results = new BucketObjects(s3Client(), settings.resultsBucket);
  }

  /** The keys of the day's records. */
  listDay(day: string): Promise<string[]> {
    return this.input.listKeys(this.dayPrefix(day));
  }

  /**
   * The keys of the day's deferred records (`deferred/<day>/`, written by the API); none when no API defers to this
   * workflow, so that an object under `deferred/` is never run (and charged) as the tenant it names.
   */
  async listDeferred(day: string): Promise<string[]> {
    if (!this.settings.acceptsDeferred) return [];
    return this.input.listKeys(deferredDayPrefix(day));
  }

  /** A record's name: its key under the day's folder, which names its result too. */
  recordName(day: string, key: string): string {
    return key.slice(this.dayPrefix(day).length);
  }

  /** The keys of the day's results and control files (manifest, batch marker, record index, batch input). */
  keys(day: string): ReturnType<typeof batchKeys> {
    return batchKeys(this.settings.resultsPrefix, BATCH_PREFIX, day);
  }

  /** Every record of `keys`, read (a missing object reads as empty), in their order. */
  readRecords(day: string, keys: ReadonlyArray<string>): Promise<DayRecord[]> {
    return mapLimit(keys, READ_CONCURRENCY, async (key) => ({ key, name: this.recordName(day, key), text: (await this.input.getText(key)) ?? '' }));
  }

  private dayPrefix(day: string): string {
    return `${this.settings.inputPrefix}${day}/`;
  }
}
