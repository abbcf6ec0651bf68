import { readPipelineConfig, PipelineConfig } from '../pipeline/config';
import { EmbeddingCache } from '../pipeline/embedding-cache';
import { DynamoDbBreakerStore } from '../breaker/state-store';
import { BreakerGuard, ContainerUsageGuard, DynamoDbLedgerGuard, SpendGuard } from '../pipeline/guards';
import { GenAiPipeline } from '../pipeline/pipeline';
import { PowertoolsRecorder } from '../pipeline/powertools-recorder';
import { DynamoDbResponseCache } from '../pipeline/stages/response-cache';
import { bedrockClient, dynamoDbClient, s3Client } from '../shared/clients';
import { readDeferralSettings, S3DeferredStore } from '../api/deferred-store';
import { breakerThrottledReporter, breakerUnavailableReporter, ledgerEventReporter } from '../shared/guard-events';
import { logWarn } from '../shared/log';

let pipeline: GenAiPipeline | undefined;
let config: PipelineConfig | undefined;
let recorder: PowertoolsRecorder | undefined;
// null: read, and the workflow defers nothing.
let deferredStore: S3DeferredStore | null | undefined;

/** The container's one recorder: spend records and guard events alike go through Powertools Metrics. */
function containerRecorder(): PowertoolsRecorder {
  recorder ??= new PowertoolsRecorder();
  return recorder;
}

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
      onUnavailable: breakerUnavailableReporter(cfg.application, containerRecorder()),
      onThrottled: breakerThrottledReporter(cfg.application, containerRecorder()),
    }));
  }
  if (cfg.guards.usageLimits.length > 0) {
    guards.push(cfg.guards.store === 'dynamodb'
      ? new DynamoDbLedgerGuard({ client: dynamoDbClient(), tableName: cfg.guards.ledgerTableName!, guards: cfg.guards, timeoutMs: cfg.guards.ledgerTimeoutMs, onEvent: ledgerEventReporter(cfg.application, containerRecorder()) })
      : new ContainerUsageGuard(cfg.guards.usageLimits));
  }
  return guards;
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
    recorder: containerRecorder(),
    responseCache: cfg.responseCache ? new DynamoDbResponseCache(dynamoDbClient(), cfg.responseCache.tableName) : undefined,
    embeddingCache: cfg.embedding ? new EmbeddingCache(cfg.embedding, dynamoDbClient(), bedrockClient()) : undefined,
    guards: guardsFor(cfg),
    warn: logWarn,
    // Only an API workflow with deferTo has one; elsewhere a `defer` policy is refused like the limit (429).
    deferral: containerDeferredStore(),
  });
  return pipeline;
}

/** The container's store of deferred calls, when the workflow defers them (`deferTo`); undefined otherwise. */
export function containerDeferredStore(): S3DeferredStore | undefined {
  if (deferredStore === undefined) {
    const settings = readDeferralSettings();
    deferredStore = settings ? new S3DeferredStore(s3Client(), settings) : null;
  }
  return deferredStore ?? undefined;
}

/** Forget the composed pipeline and configuration (tests and the local CLI reconfigure between runs). */
export function resetContainer(): void {
  pipeline = undefined;
  config = undefined;
  recorder = undefined;
  deferredStore = undefined;
}
