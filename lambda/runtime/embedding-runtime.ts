import { EmbeddingCache } from '../pipeline/embedding-cache';
import { bedrockClient, dynamoDbClient } from './clients';
import { pipelineConfig } from './pipeline-runtime';

let cache: EmbeddingCache | null | undefined;

/** The container's embedding cache, or undefined when the workflow has none. */
export function embeddingCache(): EmbeddingCache | undefined {
  if (cache === undefined) {
    const config = pipelineConfig().embedding;
    cache = config ? new EmbeddingCache(config, dynamoDbClient(), bedrockClient()) : null;
  }
  return cache ?? undefined;
}

/** Forget the cache (tests reconfigure between runs). */
export function resetEmbeddingCache(): void {
  cache = undefined;
}
