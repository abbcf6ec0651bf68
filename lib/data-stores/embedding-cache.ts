import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { createCacheTable, EMBEDDING_TABLE_ACTIONS, tagStoreFeature } from '../private/cache-table';
import { checkProps, PropKinds } from '../private/prop-check';

/**
 * An embedding cache a workflow can use: a DynamoDB table with partition key `cacheKey` (string) and TTL attribute
 * `expiresAt`, and the Titan embeddings model and dimensions its vectors are for. Implemented by
 * {@link EmbeddingCache}, and by `EmbeddingCache.fromTable` for a table that already exists.
 */
export interface IEmbeddingCache extends IConstruct {
  /**
   * The table: partition key `cacheKey` (string), TTL attribute `expiresAt`, vectors as float32 binary, and the
   * tenant each entry belongs to as attribute `tenantId`.
   */
  readonly table: dynamodb.ITable;
  /** The embeddings model id, e.g. `amazon.titan-embed-text-v2:0`. */
  readonly modelId: string;
  /** The vector dimensions. */
  readonly dimensions: number;
  /** How long a vector is kept. */
  readonly ttl: Duration;
  /** The foundation-model ARN of the embeddings model in the stack's region. */
  readonly modelArn: string;
  /** Allow reading and writing cached vectors and invoking the embeddings model (that model only). */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant;
}

/** Properties of an {@link EmbeddingCache}, and options of `EmbeddingCache.fromTable`. */
export interface EmbeddingCacheOptions {
  /**
   * The Titan Text Embeddings model.
   * @default 'amazon.titan-embed-text-v2:0'
   */
  readonly modelId?: string;
  /**
   * Vector dimensions (Titan v2: 256, 512 or 1024; v1 is always 1536).
   * @default 1024 (1536 for Titan v1)
   */
  readonly dimensions?: number;
  /**
   * How long a vector is kept. Embeddings of the same text never change for a model, so this is long.
   * @default Duration.days(30)
   */
  readonly ttl?: Duration;
}

/** Properties of an {@link EmbeddingCache}. */
export interface EmbeddingCacheProps extends EmbeddingCacheOptions {
  /**
   * The Feature tag of the table (what its storage is charged to).
   * @default - the Feature of the enclosing scope; 'shared-cache' when no enclosing scope sets one
   */
  readonly feature?: string;
}

const V2_DIMENSIONS = [256, 512, 1024];
const DEFAULT_EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';

/**
 * The DynamoDB embedding cache: vectors keyed by SHA-256 of tenant, model, dimensions and normalised text, so the
 * same passage is embedded, and paid for, once per tenant. The tenant is in the key because a hit costs nothing:
 * a cache shared across tenants would tell a caller whether another tenant had embedded a text. Workflows can share
 * one; pass it to an `ApiWorkflow`, which serves it at `POST /embed`.
 */
export class EmbeddingCache extends Construct implements IEmbeddingCache {
  /**
   * An embedding cache over a table that already exists (partition key `cacheKey` of type string, TTL attribute
   * `expiresAt`). Nothing is created; the table's tags and backups are the owner's.
   */
  public static fromTable(scope: Construct, id: string, table: dynamodb.ITable, options: EmbeddingCacheOptions = {}): IEmbeddingCache {
    return new ImportedEmbeddingCache(scope, id, table, options);
  }

  /** The table: partition key `cacheKey`, TTL attribute `expiresAt`, vectors as float32 binary. */
  public readonly table: dynamodb.ITable;
  /** The embeddings model id. */
  public readonly modelId: string;
  /** The vector dimensions. */
  public readonly dimensions: number;
  /** How long a vector is kept. */
  public readonly ttl: Duration;

  constructor(scope: Construct, id: string, props: EmbeddingCacheProps = {}) {
    super(scope, id);
    checkProps(this, 'EmbeddingCacheProps', props, EMBEDDING_CACHE_PROP_KINDS);
    [this.modelId, this.dimensions, this.ttl] = validatedEmbeddingOptions(this, props);
    this.table = createCacheTable(this, 'A cache: every vector can be recomputed from its text, so point-in-time recovery would only add cost.');
    tagStoreFeature(this, props.feature);
  }

  /** The foundation-model ARN of the embeddings model in the stack's region. */
  public get modelArn(): string {
    return embeddingModelArn(this, this.modelId);
  }

  /** Allow reading and writing cached vectors and invoking the embeddings model (that model only). */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return grantEmbeddings(this.table, this.modelArn, grantee);
  }
}

class ImportedEmbeddingCache extends Construct implements IEmbeddingCache {
  public readonly modelId: string;
  public readonly dimensions: number;
  public readonly ttl: Duration;

  constructor(scope: Construct, id: string, public readonly table: dynamodb.ITable, options: EmbeddingCacheOptions) {
    super(scope, id);
    [this.modelId, this.dimensions, this.ttl] = validatedEmbeddingOptions(this, options);
  }

  public get modelArn(): string {
    return embeddingModelArn(this, this.modelId);
  }

  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return grantEmbeddings(this.table, this.modelArn, grantee);
  }
}

function validatedEmbeddingOptions(scope: IConstruct, options: EmbeddingCacheOptions): [string, number, Duration] {
  const modelId = options.modelId ?? DEFAULT_EMBEDDING_MODEL;
  const v1 = modelId.startsWith('amazon.titan-embed-text-v1');
  const dimensions = options.dimensions ?? (v1 ? 1536 : 1024);
  const ttl = options.ttl ?? Duration.days(30);
  if (!Token.isUnresolved(modelId) && !modelId.startsWith('amazon.titan-embed-text-')) {
    throw new Error(`${scope.node.path}: modelId is '${modelId}'. Fix: use a Titan Text Embeddings model, 'amazon.titan-embed-text-v2:0' or 'amazon.titan-embed-text-v1'.`);
  }
  if (!Token.isUnresolved(dimensions) && (v1 ? dimensions !== 1536 : !V2_DIMENSIONS.includes(dimensions))) {
    throw new Error(`${scope.node.path}: dimensions is ${dimensions}. Fix: use ${v1 ? '1536 for Titan v1' : '256, 512 or 1024 for Titan v2'}.`);
  }
  return [modelId, dimensions, ttl];
}

function embeddingModelArn(scope: IConstruct, modelId: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`;
}

function grantEmbeddings(table: dynamodb.ITable, modelArn: string, grantee: iam.IGrantable): iam.Grant {
  const grant = table.grant(grantee, ...EMBEDDING_TABLE_ACTIONS);
  iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: [modelArn] });
  return grant;
}

// The known keys of EmbeddingCacheProps and what each holds (lib/private/prop-check.ts).
const EMBEDDING_CACHE_PROP_KINDS = { feature: 'string', modelId: 'string', dimensions: 'number', ttl: 'object' } as const satisfies PropKinds<EmbeddingCacheProps>;
