import { Duration, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * A bucket with the library's defaults: encrypted, TLS only, no public access, versioned.
 * Its server access logs go to `accessLogsBucket`; without one it is itself a log bucket.
 *
 * Storage does not grow without bound: replaced or deleted versions are kept 30 days (enough to recover a mistake),
 * abandoned multipart uploads 7 days, and a log bucket's logs 90 days.
 */
export function createSecureBucket(scope: Construct, id: string, options: {
  readonly accessLogsBucket?: s3.IBucket;
  readonly eventBridgeEnabled?: boolean;
  /** A fixed name, for a bucket another stack finds by name; generated when absent. */
  readonly bucketName?: string;
}): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    bucketName: options.bucketName,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    versioned: true,
    serverAccessLogsBucket: options.accessLogsBucket,
    serverAccessLogsPrefix: options.accessLogsBucket ? `${id.toLowerCase()}/` : undefined,
    lifecycleRules: [{
      id: 'ExpireOldVersionsAndUploads',
      noncurrentVersionExpiration: Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
      ...(options.accessLogsBucket ? {} : { expiration: Duration.days(90) }),
    }],
  });
  if (options.eventBridgeEnabled) {
    // Set on the L1: the L2's `eventBridgeEnabled` goes through the bucket-notifications custom resource
    // (an extra Lambda and role), while CloudFormation supports the setting natively.
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }
  if (!options.accessLogsBucket) {
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket; logging it into itself would loop.',
    });
  }
  return bucket;
}
