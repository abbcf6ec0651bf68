import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ModelTier, sha256OfFields } from '../../../shared/core';
import { GenAiRequest, Usage } from '../types';

/** A cached answer and what it cost to produce. */
export interface CachedResponse {
  readonly answer: string;
  readonly stopReason: string;
  readonly modelId: string;
  readonly tier: ModelTier;
  readonly usage: Usage;
  readonly costUsd: number;
  readonly createdAt: string;
}

/** Where cached answers live. */
export interface ResponseCacheStore {
  get(key: string): Promise<CachedResponse | undefined>;
  put(key: string, tenantId: string, value: CachedResponse, ttlSeconds: number): Promise<void>;
}

/**
 * Stage 7 — the response cache key: SHA-256 of the canonical request after routing. The tenant is part of the
 * key, so tenant A never receives tenant B's answer; the namespace is too, so bumping it invalidates everything.
 */
export function responseCacheKey(namespace: string, request: GenAiRequest, systemPrompt: string | undefined, modelId: string, maxTokens: number): string {
  const fields: Array<string | null> = [
    'genai-response-v1', namespace, request.tenantId, modelId, String(maxTokens), systemPrompt ?? null, request.context ?? null,
    String(request.history.length),
  ];
  for (const turn of request.history) fields.push(turn.role, turn.content);
  fields.push(request.message);
  return sha256OfFields(fields);
}

// Items above DynamoDB's 400 KB limit cannot be stored; such answers are simply not cached.
const MAX_ITEM_CHARS = 350_000;

/** The response cache in a DynamoDB table: partition key `cacheKey`, TTL attribute `expiresAt` (epoch seconds). */
export class DynamoDbResponseCache implements ResponseCacheStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CachedResponse | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { cacheKey: { S: key } } }));
    if (!Item?.response?.S) return undefined;
    // DynamoDB deletes expired items lazily (up to days later): an expired item is a miss.
    if (Number(Item.expiresAt?.N ?? 0) * 1000 <= this.nowMs()) return undefined;
    return JSON.parse(Item.response.S) as CachedResponse;
  }

  async put(key: string, tenantId: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    const response = JSON.stringify(value);
    if (response.length > MAX_ITEM_CHARS) return;
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        cacheKey: { S: key },
        tenantId: { S: tenantId },
        expiresAt: { N: String(Math.floor(this.nowMs() / 1000) + ttlSeconds) },
        response: { S: response },
      },
    }));
  }
}
