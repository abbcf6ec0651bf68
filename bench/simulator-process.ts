import { startBedrockSimulator } from '../packages/local/src/bedrock-simulator';

/**
 * The Bedrock simulator in a process of its own, for the request bench: in Lambda the model runs elsewhere, so its
 * work and its garbage (token counting allocates) must not pause the pipeline's event loop or fill its heap.
 * Prints its endpoint as one JSON line, and stops when its parent closes stdin.
 */
async function main(): Promise<void> {
  // A fixed model latency when the bench asks for one (ConverseStream's: the time to its first event).
  const simulator = await startBedrockSimulator({ latencyMs: Number(process.env.BENCH_SIMULATOR_LATENCY_MS ?? 0) });
  process.stdout.write(`${JSON.stringify({ endpoint: simulator.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    void simulator.close().then(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
