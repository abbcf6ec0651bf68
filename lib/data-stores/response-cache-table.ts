import { Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_RESPONSE_CACHE_NAMESPACE, DEFAULT_RESPONSE_CACHE_TTL_SECONDS } from '../../shared/contract';
import { createCacheTable, tagStoreFeature } from '../private/cache-table';
import { checkProps, PropKinds } from '../private/prop-check';

/**
 * A response cache a workflow can use: a DynamoDB table with partition key `cacheKey` (string) and TTL attribute
 * `expiresAt`, how long answers are served, and the key namespace. Implemented by {@link ResponseCacheTable}, and by
 * `ResponseCacheTable.fromTable` for a table that already exists.
 */
export interface IResponseCache extends IConstruct {
  /** The table: partition key `cacheKey` (string), TTL attribute `expiresAt`. */
  readonly table: dynamodb.ITable;
  /** How long an answer is served from the cache. */
  readonly ttl: Duration;
  /** Part of every cache key: change it to invalidate every cached answer at once. */
  readonly cacheNamespace: string;
  /** Allow reading and writing cached answers (GetItem and PutItem on the table, nothing else). */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant;
}

/** Options of {@link ResponseCacheTable.fromTable}. */
export interface ResponseCacheFromTableOptions {
  /**
   * How long an answer is served from the cache. Between 1 and 24 hours.
   * @default Duration.hours(1)
   */
  readonly ttl?: Duration;
  /**
   * Part of every cache key.
   * @default 'v1'
   */
  readonly cacheNamespace?: string;
}

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
  /**
   * The Feature tag of the table (what its storage is charged to).
   * @default - the Feature of the enclosing scope (the workflow that created it, or your construct); 'shared-cache'
   * when no enclosing scope sets one
   */
  readonly feature?: string;
}

/**
 * The DynamoDB table behind the response cache: identical requests (same tenant, model, parameters, system
 * prompt, context, history and message) are answered from it at no model cost.
 *
 * Partition key `cacheKey` (SHA-256), TTL attribute `expiresAt`, on-demand capacity. Share one table between
 * workflows by passing it to each; the tenant is part of every key.
 */
export class ResponseCacheTable extends Construct implements IResponseCache {
  /**
   * A response cache over a table that already exists (partition key `cacheKey` of type string, TTL attribute
   * `expiresAt`), e.g. `dynamodb.Table.fromTableName(this, 'Answers', 'answers')`. Nothing is created; the table's
   * tags and backups are the owner's.
   */
  public static fromTable(scope: Construct, id: string, table: dynamodb.ITable, options: ResponseCacheFromTableOptions = {}): IResponseCache {
    return new ImportedResponseCache(scope, id, table, options);
  }

  /** The table. */
  public readonly table: dynamodb.ITable;
  /** How long an answer is served from the cache. */
  public readonly ttl: Duration;
  /** The key namespace. */
  public readonly cacheNamespace: string;

  constructor(scope: Construct, id: string, props: ResponseCacheTableProps = {}) {
    super(scope, id);
    checkProps(this, 'ResponseCacheTableProps', props, RESPONSE_CACHE_TABLE_PROP_KINDS);
    [this.ttl, this.cacheNamespace] = validatedCacheOptions(this, props);
    this.table = createCacheTable(this, 'A cache: every item can be recomputed and expires within 24 hours, so point-in-time recovery would only add cost.');
    tagStoreFeature(this, props.feature);
  }

  /** Allow reading and writing cached answers. */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}

class ImportedResponseCache extends Construct implements IResponseCache {
  public readonly ttl: Duration;
  public readonly cacheNamespace: string;

  constructor(scope: Construct, id: string, public readonly table: dynamodb.ITable, options: ResponseCacheFromTableOptions) {
    super(scope, id);
    [this.ttl, this.cacheNamespace] = validatedCacheOptions(this, options);
  }

  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}

function validatedCacheOptions(scope: IConstruct, options: ResponseCacheFromTableOptions): [Duration, string] {
  const ttl = options.ttl ?? Duration.seconds(DEFAULT_RESPONSE_CACHE_TTL_SECONDS);
  const namespace = options.cacheNamespace ?? DEFAULT_RESPONSE_CACHE_NAMESPACE;
  if (!ttl.isUnresolved() && (ttl.toSeconds() < 3600 || ttl.toSeconds() > 86400)) {
    throw new Error(`${scope.node.path}: ttl is ${ttl.toSeconds()} seconds. Fix: use between Duration.hours(1) and Duration.hours(24); answers older than a day are rarely still right.`);
  }
  if (!Token.isUnresolved(namespace) && !/^[A-Za-z0-9._-]{1,64}$/.test(namespace)) {
    throw new Error(`${scope.node.path}: cacheNamespace is '${namespace}'. Fix: use 1 to 64 letters, digits or . _ -, e.g. 'v2'.`);
  }
  return [ttl, namespace];
}

// The known keys of ResponseCacheTableProps and what each holds (lib/private/prop-check.ts).
const RESPONSE_CACHE_TABLE_PROP_KINDS = { ttl: 'object', cacheNamespace: 'string', feature: 'string' } as const satisfies PropKinds<ResponseCacheTableProps>;
