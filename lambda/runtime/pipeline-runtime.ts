import { readPipelineConfig, PipelineConfig } from '../pipeline/config';
import { EmbeddingCache } from '../pipeline/embedding-cache';
import { DynamoDbBreakerStore } from '../breaker/state-store';
import { METRIC, METRIC_NAMESPACE, NO_MODEL } from '../contract';
import { BreakerGuard, ContainerUsageGuard, DynamoDbLedgerGuard, SpendGuard } from '../pipeline/guards';
import { GenAiPipeline } from '../pipeline/pipeline';
import { PowertoolsRecorder } from '../pipeline/powertools-recorder';
import { DynamoDbResponseCache } from '../pipeline/stages/response-cache';
import { bedrockClient, dynamoDbClient } from './clients';
import { ledgerEventReporter } from './guard-events';
import { logWarn } from './log';

let pipeline: GenAiPipeline | undefined;
let config: PipelineConfig | undefined;

/** The container's configuration, read from the environment once. */
export function pipelineConfig(): PipelineConfig {
  config ??= readPipelineConfig();
  return config;
}

/** The guard chain the configuration asks for, in the order guards run. */
export function guardsFor(cfg: PipelineConfig): SpendGuard[] {
  const guards: SpendGuard[] = [];
  // The breaker first: a paused feature is refused before it counts against any limit.
  const breaker = cfg.guards.breaker;
  if (breaker) {
    guards.push(new BreakerGuard(breaker, cfg.application, new DynamoDbBreakerStore(dynamoDbClient(), breaker.tableName), {
      warn: logWarn,
      onUnavailable: (feature) => emitBreakerUnavailable(cfg.application, feature),
    }));
  }
  if (cfg.guards.usageLimits.length > 0) {
    guards.push(cfg.guards.store === 'dynamodb'
      ? new DynamoDbLedgerGuard({ client: dynamoDbClient(), tableName: cfg.guards.ledgerTableName!, guards: cfg.guards, timeoutMs: cfg.guards.ledgerTimeoutMs, onEvent: ledgerEventReporter(cfg.application) })
      : new ContainerUsageGuard(cfg.guards.usageLimits));
  }
  return guards;
}

// One EMF line, in the contract's namespace and dimensions (Model is 'none': no model was reached).
function emitBreakerUnavailable(application: string, feature: string): void {
  console.log(JSON.stringify({
    _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Application', 'Feature', 'Model']], Metrics: [{ Name: METRIC.breakerUnavailable, Unit: 'Count' }] }] },
    Application: application, Feature: feature, Model: NO_MODEL, [METRIC.breakerUnavailable]: 1,
  }));
}

/**
 * The container's pipeline, composed once with the real clients, the DynamoDB response and embedding caches, the
 * configured guards and EMF metrics. Every model call of the container passes it.
 */
export function containerPipeline(): GenAiPipeline {
  if (pipeline) return pipeline;
  const cfg = pipelineConfig();
  pipeline = new GenAiPipeline(cfg, {
    bedrock: bedrockClient(),
    recorder: new PowertoolsRecorder(),
    responseCache: cfg.responseCache ? new DynamoDbResponseCache(dynamoDbClient(), cfg.responseCache.tableName) : undefined,
    embeddingCache: cfg.embedding ? new EmbeddingCache(cfg.embedding, dynamoDbClient(), bedrockClient()) : undefined,
    guards: guardsFor(cfg),
    warn: logWarn,
  });
  return pipeline;
}

/** Forget the composed pipeline and configuration (tests and the local CLI reconfigure between runs). */
export function resetContainer(): void {
  pipeline = undefined;
  config = undefined;
}
