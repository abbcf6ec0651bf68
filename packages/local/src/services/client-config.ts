/**
 * Client settings shared by every SDK client that talks to the local services.
 *
 * Kept in its own module so that S3-only callers do not load the DynamoDB SDK just to get a region.
 */

/** Region the local services pretend to live in (ARNs and event records use it). */
export const LOCAL_REGION = 'us-east-1';

/**
 * Static dummy credentials. The local services never verify signatures, but the SDK refuses to send
 * a request without credentials, and fixed values keep the default provider chain (profiles, IMDS)
 * from being consulted — that lookup is slow and would reach for real accounts.
 */
export const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'local', secretAccessKey: 'local' });

/** Shape accepted by both `DynamoDBClient` and `S3Client` constructors. */
export interface LocalClientConfig {
  readonly region: string;
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * Configuration for an AWS SDK v3 client pointed at a local endpoint: region `us-east-1`, dummy credentials.
 *
 * @param endpoint - base URL such as `http://127.0.0.1:8000`
 * @example
 * const ddb = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
 */
export function localClientConfig(endpoint: string): {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { region: LOCAL_REGION, endpoint, credentials: { ...LOCAL_CREDENTIALS } };
}
