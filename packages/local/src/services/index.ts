/**
 * Local AWS services for tests, the CLI demo and benchmarks: DynamoDB Local (AWS's emulator, in a JVM)
 * and an in-process S3 server, both on 127.0.0.1, both driven by the real AWS SDK v3 clients.
 */
import { startDynamoDbLocal, type LocalDynamoDb, type StartDynamoDbLocalOptions } from './dynamodb-local';
import { startLocalS3, type LocalS3, type StartLocalS3Options } from './s3-local';

export { LOCAL_CREDENTIALS, LOCAL_REGION, localClientConfig } from './client-config';
export { startDynamoDbLocal, type LocalDynamoDb, type StartDynamoDbLocalOptions } from './dynamodb-local';
export { localS3ClientConfig, startLocalS3, type LocalS3, type S3EventRecordLike, type StartLocalS3Options } from './s3-local';

/** Both local services, started together. */
export interface LocalServices {
  readonly dynamodb: LocalDynamoDb;
  readonly s3: LocalS3;
  /** Stops both (in parallel); rejects with the first failure after trying both. */
  stop(): Promise<void>;
}

/** Options for {@link startLocalServices}. */
export interface StartLocalServicesOptions {
  readonly dynamodb?: StartDynamoDbLocalOptions;
  readonly s3?: StartLocalS3Options;
}

/**
 * Starts DynamoDB Local and the local S3 in parallel (the JVM dominates: ~2–3 s). If either fails,
 * the other is stopped before the error is rethrown, so nothing is left running.
 *
 * @example
 * const services = await startLocalServices({ s3: { onObjectCreated: (r) => void handler({ Records: [r] }) } });
 * try { ... } finally { await services.stop(); }
 */
export async function startLocalServices(options: StartLocalServicesOptions = {}): Promise<LocalServices> {
  const [dynamodb, s3] = await Promise.allSettled([startDynamoDbLocal(options.dynamodb), startLocalS3(options.s3)]);
  if (dynamodb.status === 'rejected' || s3.status === 'rejected') {
    await Promise.allSettled([dynamodb, s3].flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (s3 as PromiseRejectedResult).reason;
  }
  const services = { dynamodb: dynamodb.value, s3: s3.value };
  return {
    ...services,
    stop: async () => {
      const results = await Promise.allSettled([services.dynamodb.stop(), services.s3.stop()]);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    },
  };
}
