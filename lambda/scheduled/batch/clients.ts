import { Agent } from 'node:https';
import { BedrockClient } from '@aws-sdk/client-bedrock';

let control: BedrockClient | undefined;

/**
 * The container's Bedrock control-plane client (batch jobs), created on first use. Locally it points at the
 * simulator: `GENAI_BEDROCK_CONTROL_ENDPOINT`, else `GENAI_BEDROCK_ENDPOINT` (the simulator serves both APIs).
 */
export function bedrockControlClient(): BedrockClient {
  control ??= new BedrockClient({
    endpoint: process.env.GENAI_BEDROCK_CONTROL_ENDPOINT || process.env.GENAI_BEDROCK_ENDPOINT || undefined,
    requestHandler: { httpsAgent: new Agent({ keepAlive: true }) },
  });
  return control;
}

/** Forget the client, so tests can point the next one at another endpoint. */
export function resetBedrockControlClient(): void {
  control?.destroy();
  control = undefined;
}
