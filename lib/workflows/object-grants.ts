import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';

/*
 * Explicit S3 grants with the actions a handler uses, instead of the bucket's grantRead / grantPut, which add
 * wildcard actions (s3:GetObject*, s3:List*, s3:Abort*) the runtime never calls.
 */

/** Allow reading objects (any version) under `prefix`. */
export function grantReadObjects(bucket: s3.IBucket, role: iam.IRole, prefix: string): void {
  const objects = bucket.arnForObjects(`${prefix}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objects] }));
  bucket.encryptionKey?.grantDecrypt(role);
  acknowledge(role, objects, `Reads the objects under '${prefix}' of one bucket, named only at run time.`);
}

/** Allow listing the keys under `prefix`, and only those. */
export function grantListPrefix(bucket: s3.IBucket, role: iam.IRole, prefix: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  }));
}

/** Allow writing objects under `prefix`. */
export function grantPutObjects(bucket: s3.IBucket, role: iam.IRole, prefix: string): void {
  const objects = bucket.arnForObjects(`${prefix}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
  bucket.encryptionKey?.grantEncrypt(role);
  acknowledge(role, objects, `Writes result objects under '${prefix}' of one bucket, named by date at run time.`);
}

function acknowledge(role: iam.IRole, arn: string, reason: string): void {
  acknowledgeWildcardResource(role as unknown as IConstruct, arn, reason);
}
