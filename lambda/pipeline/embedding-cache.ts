import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BatchGetItemCommand, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { boundTokens, canonicalJson, sha256Hex } from '../../shared/core';
import { EmbeddingConfig } from './config';
import { PipelineError } from './errors';

/** What the cache holds for a batch of texts, and what it still has to embed. */
export interface EmbeddingLookup {
  /** The tenant the lookup was for: its entries are the only ones it can read or write. */
  readonly tenantId: string;
  readonly keys: ReadonlyArray<string>;
  readonly cached: ReadonlyMap<string, number[]>;
  /** One entry per distinct text not in the cache, with the upper bound of its tokens for the reservation. */
  readonly missing: ReadonlyArray<{ readonly key: string; readonly text: string; readonly index: number; readonly boundTokens: number }>;
  /** Texts of the batch answered from the cache. */
  readonly hits: number;
}

/** The vectors embedded for the missing texts, and the tokens Bedrock billed for them. */
export interface EmbeddedTexts {
  readonly vectors: ReadonlyMap<string, number[]>;
  readonly inputTokens: number;
}

// DynamoDB's limits for one BatchGetItem / BatchWriteItem call.
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

/**
 * Embeddings for RAG with a DynamoDB cache in front of Titan Text Embeddings: the key is the SHA-256 of tenant,
 * model, dimensions and normalised text, so the same passage is embedded (and paid for) once per tenant and TTL.
 * The tenant is part of the key because a hit answers with no tokens and no cost: a cache shared across tenants
 * would tell any caller whether someone else had embedded a text (a second API key could confirm a victim's
 * passage). The pipeline runs
 * it in three steps, so that the model calls in the middle pass the spend port: {@link lookup}, then
 * {@link embedMissing}, then {@link store} beside the settlement.
 */
export class EmbeddingCache {
  constructor(
    private readonly config: EmbeddingConfig,
    private readonly dynamodb: DynamoDBClient,
    private readonly bedrock: BedrockRuntimeClient,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The model the vectors come from (for prices and metrics). */
  get modelId(): string {
    return this.config.modelId;
  }

  /** Reads what the cache has for `texts` of `tenantId` (only that tenant's entries). */
  async lookup(tenantId: string, texts: ReadonlyArray<string>): Promise<EmbeddingLookup> {
    const keys = texts.map((text) => this.key(tenantId, text));
    const cached = await this.readMany([...new Set(keys)]);
    const missing: Array<EmbeddingLookup['missing'][number]> = [];
    const seen = new Set<string>();
    let hits = 0;
    keys.forEach((key, index) => {
      if (cached.has(key)) {
        hits++;
      } else if (!seen.has(key)) {
        seen.add(key);
        const text = normalizeText(texts[index]);
        missing.push({ key, text, index, boundTokens: boundTokens(text) });
      }
    });
    return { tenantId, keys, cached, missing, hits };
  }

  /**
   * Embeds the texts the cache did not have, one InvokeModel call each, each carrying `requestMetadata` (tenant,
   * feature, application: `./request-metadata`) into the invocation logs.
   */
  async embedMissing(lookup: EmbeddingLookup, requestMetadata?: Readonly<Record<string, string>>): Promise<EmbeddedTexts> {
    const vectors = new Map<string, number[]>();
    let inputTokens = 0;
    for (const { key, text, index } of lookup.missing) {
      const embedded = await this.invoke(text, index, requestMetadata);
      inputTokens += embedded.inputTokens;
      vectors.set(key, embedded.vector);
    }
    return { vectors, inputTokens };
  }

  /** Caches the vectors embedded for a lookup, under its tenant. */
  store(lookup: EmbeddingLookup, vectors: ReadonlyMap<string, number[]>): Promise<void> {
    return this.writeMany(lookup.tenantId, vectors);
  }

  /** The vectors of the batch, in the order of its texts. */
  vectorsOf(lookup: EmbeddingLookup, embedded?: EmbeddedTexts): number[][] {
    return lookup.keys.map((key) => lookup.cached.get(key) ?? embedded?.vectors.get(key) ?? []);
  }

  private key(tenantId: string, text: string): string {
    return sha256Hex(canonicalJson({ tenant: tenantId, model: this.config.modelId, dimensions: this.config.dimensions, text: normalizeText(text) }));
  }

  private async invoke(text: string, index: number, requestMetadata?: Readonly<Record<string, string>>): Promise<{ vector: number[]; inputTokens: number }> {
    let response;
    try {
      const command = new InvokeModelCommand({
        modelId: this.config.invokeId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify(this.config.modelId.includes('titan-embed-text-v1')
          ? { inputText: text }
          : { inputText: text, dimensions: this.config.dimensions, normalize: true }),
      });
      if (requestMetadata) withRequestMetadataHeader(command, requestMetadata);
      response = await this.bedrock.send(command);
    } catch (error) {
      throw embeddingError(error, index);
    }
    const body = JSON.parse(new TextDecoder().decode(response.body));
    // Rounded to float32 as the cache stores it, so a miss returns exactly the vector a later hit will.
    return { vector: Array.from(Float32Array.from(body.embedding as number[])), inputTokens: body.inputTextTokenCount ?? 0 };
  }

  private async readMany(keys: string[]): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let request: Record<string, any> | undefined = {
        [this.config.tableName]: { Keys: keys.slice(i, i + BATCH_GET_LIMIT).map((k) => ({ cacheKey: { S: k } })) },
      };
      // BatchGetItem may return part of the keys as unprocessed under load; ask again for those.
      for (let round = 0; request && Object.keys(request).length > 0 && round < 5; round++) {
        const output: any = await this.dynamodb.send(new BatchGetItemCommand({ RequestItems: request }));
        for (const item of output.Responses?.[this.config.tableName] ?? []) {
          if (Number(item.expiresAt?.N ?? 0) > nowSeconds && item.vector?.B) found.set(item.cacheKey.S, decodeVector(item.vector.B));
        }
        request = output.UnprocessedKeys;
      }
    }
    return found;
  }

  private async writeMany(tenantId: string, vectors: ReadonlyMap<string, number[]>): Promise<void> {
    const expiresAt = String(Math.floor(this.nowMs() / 1000) + this.config.ttlSeconds);
    // The tenant is also an attribute, like the response cache's: to find or delete one tenant's entries.
    const items = [...vectors].map(([key, vector]) => ({
      PutRequest: { Item: { cacheKey: { S: key }, tenantId: { S: tenantId }, vector: { B: encodeVector(vector) }, expiresAt: { N: expiresAt } } },
    }));
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
      let request: Record<string, any> | undefined = { [this.config.tableName]: items.slice(i, i + BATCH_WRITE_LIMIT) };
      for (let round = 0; request && Object.keys(request).length > 0 && round < 5; round++) {
        const output: any = await this.dynamodb.send(new BatchWriteItemCommand({ RequestItems: request }));
        request = output.UnprocessedItems;
      }
    }
  }
}

/**
 * InvokeModel takes request metadata as the `X-Amzn-Bedrock-Request-Metadata` header, a JSON object of strings
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-request-metadata.html); the SDK has no field for
 * it, so it is set in the build step, before the request is signed.
 */
function withRequestMetadataHeader(command: InvokeModelCommand, metadata: Readonly<Record<string, string>>): void {
  command.middlewareStack?.add((next) => (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers) request.headers['x-amzn-bedrock-request-metadata'] = JSON.stringify(metadata);
    return next(args);
  }, { step: 'build', name: 'genaiFinopsRequestMetadata' });
}

/** Bedrock's refusals as the 4xx a caller can act on (not a 500); any other failure is rethrown as is. */
function embeddingError(error: unknown, index: number): unknown {
  const name = (error as { name?: string })?.name;
  const message = (error as Error)?.message ?? String(error);
  if (name === 'ValidationException') {
    return /too long|too many tokens/i.test(message)
      ? new PipelineError(413, 'TEXT_TOO_LONG', `texts[${index}]: the embedding model rejected it as too long: ${message}`, { field: `texts[${index}]` })
      : new PipelineError(400, 'MODEL_REJECTED_REQUEST', `texts[${index}]: the embedding model rejected it: ${message}`, { field: `texts[${index}]` });
  }
  if (name === 'ThrottlingException' || name === 'ServiceQuotaExceededException') {
    return new PipelineError(429, 'MODEL_THROTTLED', `Bedrock throttled the embedding call (${name}). Retry later.`, { lastError: name });
  }
  return error;
}

/** The text as it is keyed and embedded: Unicode NFC, whitespace runs folded, ends trimmed. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

// Float32 halves the item size against JSON numbers and is the precision Titan returns.
function encodeVector(vector: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(vector).buffer);
}

function decodeVector(bytes: Uint8Array): number[] {
  const copy = new Uint8Array(bytes);
  return Array.from(new Float32Array(copy.buffer, 0, copy.byteLength / 4));
}
