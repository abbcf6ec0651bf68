import { Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { createCacheTable } from './cache-table';

/** Properties of a {@link ResponseCacheTable}. */
export interface ResponseCacheTableProps {
  /**
   * How long an answer is served from the cache. Between 1 and 24 hours.
   * @default Duration.hours(1)
   */
  readonly ttl?: Duration;
  /**
   * Part of every cache key. Change it (e.g. 'kb-2026-11-28') to invalidate every cached answer at once, for instance
   * when the knowledge base changes.
   * @default 'v1'
   */
  readonly cacheNamespace?: string;
}

/**
 * The DynamoDB table behind the response cache: identical requests (same tenant, model, parameters, system
 * prompt, context, history and message) are answered from it at no model cost.
 *
 * Partition key `cacheKey` (SHA-256), TTL attribute `expiresAt`, on-demand capacity. Share one table between
 * workflows by passing it to each; the tenant is part of every key.
 */
export class ResponseCacheTable extends Construct {
  /** The table. */
  public readonly table: dynamodb.Table;
  /** How long an answer is served from the cache. */
  public readonly ttl: Duration;
  /** The key namespace. */
  public readonly cacheNamespace: string;

  constructor(scope: Construct, id: string, props: ResponseCacheTableProps = {}) {
    super(scope, id);
    this.ttl = props.ttl ?? Duration.hours(1);
    this.cacheNamespace = props.cacheNamespace ?? 'v1';
    if (!this.ttl.isUnresolved() && (this.ttl.toSeconds() < 3600 || this.ttl.toSeconds() > 86400)) {
      throw new Error(`${this.node.path}: ttl is ${this.ttl.toSeconds()} seconds. Fix: use between Duration.hours(1) and Duration.hours(24); answers older than a day are rarely still right.`);
    }
    if (!Token.isUnresolved(this.cacheNamespace) && !/^[A-Za-z0-9._-]{1,64}$/.test(this.cacheNamespace)) {
      throw new Error(`${this.node.path}: cacheNamespace is '${this.cacheNamespace}'. Fix: use 1 to 64 letters, digits or . _ -, e.g. 'v2'.`);
    }
    this.table = createCacheTable(this, 'A cache: every item can be recomputed and expires within 24 hours, so point-in-time recovery would only add cost.');
  }

  /** Allow reading and writing cached answers. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
