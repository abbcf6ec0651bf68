import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { createCacheTable } from './cache-table';

/** Properties of an {@link EmbeddingCache}. */
export interface EmbeddingCacheProps {
  /**
   * The Titan Text Embeddings model.
   * @default 'amazon.titan-embed-text-v2:0'
   */
  readonly modelId?: string;
  /**
   * Vector dimensions (Titan v2: 256, 512 or 1024; v1 is always 1536).
   * @default 1024
   */
  readonly dimensions?: number;
  /**
   * How long a vector is kept. Embeddings of the same text never change for a model, so this is long.
   * @default Duration.days(30)
   */
  readonly ttl?: Duration;
}

const V2_DIMENSIONS = [256, 512, 1024];

/**
 * The DynamoDB embedding cache: vectors keyed by SHA-256 of model, dimensions and normalised text, so the same
 * passage is embedded, and paid for, once. Workflows can share one; pass it to a workflow to give its handler
 * `embed(texts)` (the API workflow serves it at `POST /embed`).
 */
export class EmbeddingCache extends Construct {
  /** The table: partition key `cacheKey`, TTL attribute `expiresAt`, vectors as float32 binary. */
  public readonly table: dynamodb.Table;
  /** The embeddings model id. */
  public readonly modelId: string;
  /** The vector dimensions. */
  public readonly dimensions: number;
  /** How long a vector is kept. */
  public readonly ttl: Duration;

  constructor(scope: Construct, id: string, props: EmbeddingCacheProps = {}) {
    super(scope, id);
    this.modelId = props.modelId ?? 'amazon.titan-embed-text-v2:0';
    const v1 = this.modelId.startsWith('amazon.titan-embed-text-v1');
    this.dimensions = props.dimensions ?? (v1 ? 1536 : 1024);
    this.ttl = props.ttl ?? Duration.days(30);
    if (!this.modelId.startsWith('amazon.titan-embed-text-')) {
      throw new Error(`${this.node.path}: modelId is '${this.modelId}'. Fix: use a Titan Text Embeddings model, 'amazon.titan-embed-text-v2:0' or 'amazon.titan-embed-text-v1'.`);
    }
    if (v1 ? this.dimensions !== 1536 : !V2_DIMENSIONS.includes(this.dimensions)) {
      throw new Error(`${this.node.path}: dimensions is ${this.dimensions}. Fix: use ${v1 ? '1536 for Titan v1' : '256, 512 or 1024 for Titan v2'}.`);
    }
    this.table = createCacheTable(this, 'A cache: every vector can be recomputed from its text, so point-in-time recovery would only add cost.');
  }

  /** The foundation-model ARN of the embeddings model in the stack's region. */
  public get modelArn(): string {
    const stack = Stack.of(this);
    return `arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${this.modelId}`;
  }

  /** Allow reading and writing cached vectors and invoking the embeddings model (that model only). */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = this.table.grant(grantee, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem');
    iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: [this.modelArn] });
    return grant;
  }
}
