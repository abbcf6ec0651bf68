import { readPipelineConfig, PipelineConfig } from '../pipeline/config';
import { GenAiPipeline } from '../pipeline/pipeline';
import { PowertoolsRecorder } from '../pipeline/powertools-recorder';
import { DynamoDbResponseCache } from '../pipeline/stages/response-cache';
import { bedrockClient, dynamoDbClient } from './clients';
import { logWarn } from './log';

let pipeline: GenAiPipeline | undefined;
let config: PipelineConfig | undefined;

/** The container's configuration, read from the environment once. */
export function pipelineConfig(): PipelineConfig {
  config ??= readPipelineConfig();
  return config;
}

/** The container's pipeline, composed once with the real clients, the DynamoDB response cache and EMF metrics. */
export function containerPipeline(): GenAiPipeline {
  if (pipeline) return pipeline;
  const cfg = pipelineConfig();
  pipeline = new GenAiPipeline(cfg, {
    bedrock: bedrockClient(),
    recorder: new PowertoolsRecorder(),
    responseCache: cfg.responseCache ? new DynamoDbResponseCache(dynamoDbClient(), cfg.responseCache.tableName) : undefined,
    warn: logWarn,
  });
  return pipeline;
}

/** Forget the composed pipeline and configuration (tests and the local CLI reconfigure between runs). */
export function resetContainer(): void {
  pipeline = undefined;
  config = undefined;
}
