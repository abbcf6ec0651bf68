import { BatchControlPlane } from './batch-control-plane';
import { BatchSimulatorControls, BatchSimulatorOptions } from './batch-jobs';
import { checkLatency, SimulatorRouter } from './router';
import { listen } from './transport';
import { BedrockSimulator, BedrockSimulatorOptions, FaultKind, SimulatedCall, StreamFaultKind } from './types';

/**
 * Starts a Bedrock Runtime simulator on 127.0.0.1 that the unmodified `@aws-sdk/client-bedrock-runtime`
 * client can call (Converse, ConverseStream, InvokeModel for Titan Text Embeddings, CountTokens).
 *
 * @example
 * const sim = await startBedrockSimulator();
 * const client = new BedrockRuntimeClient({
 *   region: 'us-east-1',
 *   endpoint: sim.endpoint,
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
 * });
 * // ...
 * await sim.close();
 */
export async function startBedrockSimulator(
  options: BedrockSimulatorOptions & BatchSimulatorOptions = {},
): Promise<BedrockSimulator & BatchSimulatorControls> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`port must be an integer from 0 to 65535, got ${port}.`);
  checkLatency(options.latencyMs ?? 0);

  const router = new SimulatorRouter(options);
  // The Bedrock control plane's batch inference jobs, on the same port (see batch-control-plane.ts).
  const controlPlane = new BatchControlPlane(options);
  router.extraRoutes = controlPlane;
  const batch = controlPlane.controls();
  const listener = await listen(port, (request) => router.handle(request));
  let closing: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${listener.port}`,
    injectFaults: (kind: FaultKind, count: number) => router.faults.enqueue(kind, count),
    injectStreamFaults: (kind: StreamFaultKind, count: number, afterDeltas: number) => router.streamFaults.enqueue(kind, count, afterDeltas),
    injectCountTokensFaults: (kind: FaultKind, count: number) => router.countTokensFaults.enqueue(kind, count),
    setLatency: (ms: number) => router.setLatency(ms),
    setStreamDeltaDelay: (ms: number) => router.setStreamDeltaDelay(ms),
    answerEmpty: (count: number) => router.answerEmpty(count),
    get calls(): ReadonlyArray<SimulatedCall> {
      return router.calls;
    },
    reset: () => router.reset(),
    get batchJobs() {
      return batch.batchJobs;
    },
    get controlPlaneCalls() {
      return batch.controlPlaneCalls;
    },
    startBatchJobs: batch.startBatchJobs,
    completeBatchJobs: batch.completeBatchJobs,
    failBatchJobs: batch.failBatchJobs,
    close: () => {
      closing ??= listener.close().then(() => {
        router.releaseWaits();
        controlPlane.close();
      });
      return closing;
    },
  };
}
