/**
 * Everything a bundled handler talks to, on 127.0.0.1: the Bedrock simulator, DynamoDB Local and the local S3.
 * Started together, stopped together (also when starting fails half-way).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { BedrockSimulator, startBedrockSimulator } from '../bedrock-simulator';
import { LocalServices, localClientConfig, startLocalServices } from '../services';
import type { LocalEndpoints } from './function-env';

/** The running local stack. */
export interface LocalStack {
  readonly simulator: BedrockSimulator;
  readonly services: LocalServices;
  readonly endpoints: LocalEndpoints;
  /** A client for setting up and inspecting tables (not the handler's). */
  readonly dynamodb: DynamoDBClient;
  /** A client for setting up and inspecting buckets (not the handler's). */
  readonly s3: S3Client;
  /** Stops every service; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the simulator (resolving `modelAliases`) and the local services in parallel. */
export async function startLocalStack(options: { modelAliases?: Record<string, string> } = {}): Promise<LocalStack> {
  const [simulator, services] = await Promise.allSettled([
    startBedrockSimulator({ modelAliases: options.modelAliases ?? {} }),
    startLocalServices(),
  ]);
  if (simulator.status === 'rejected' || services.status === 'rejected') {
    await Promise.allSettled([
      simulator.status === 'fulfilled' ? simulator.value.close() : undefined,
      services.status === 'fulfilled' ? services.value.stop() : undefined,
    ]);
    throw simulator.status === 'rejected' ? simulator.reason : (services as PromiseRejectedResult).reason;
  }
  const sim = simulator.value;
  const svc = services.value;
  const dynamodb = new DynamoDBClient(localClientConfig(svc.dynamodb.endpoint));
  const s3 = new S3Client({ ...localClientConfig(svc.s3.endpoint), forcePathStyle: true });
  let stopping: Promise<void> | undefined;
  return {
    simulator: sim,
    services: svc,
    endpoints: { bedrock: sim.endpoint, dynamodb: svc.dynamodb.endpoint, s3: svc.s3.endpoint },
    dynamodb,
    s3,
    stop: () => (stopping ??= (async () => {
      dynamodb.destroy();
      s3.destroy();
      const results = await Promise.allSettled([sim.close(), svc.stop()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })()),
  };
}
