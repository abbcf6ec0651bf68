import { BedrockRuntimeClient, ConverseCommand, ConverseCommandInput, ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { DEFAULT_MODEL_CATALOG } from '../../../shared/core';
import { GenAiPipeline } from '../../../lambda/pipeline/pipeline';
import { MemoryRecorder } from '../../../lambda/pipeline/stages/record-request';
import { useBedrockSimulator, testConfig, usd } from './support';

const NOVA_PRO = 'amazon.nova-pro-v1:0';
const NOVA_TIERS = { simple: { invokeId: NOVA_PRO, modelId: NOVA_PRO } };
const body = { message: 'Summarize the attached contract clause.', tenantId: 'customer-123', userId: 'user-42' };

let sent: ConverseCommandInput[];
/** What the next responses report as their tier, over what the simulator says; undefined keeps the simulator's. */
let reportedTier: string | undefined;

const recordingBedrock = {
  send: async (command: ConverseCommand) => {
    sent.push(command.input);
    const response = await simulator.client.send(command) as ConverseCommandOutput;
    return reportedTier === undefined ? response : { ...response, serviceTier: { type: reportedTier } };
  },
} as unknown as BedrockRuntimeClient;

const simulator = useBedrockSimulator();
beforeEach(() => {
  simulator.sim.reset();
  sent = [];
  reportedTier = undefined;
});

function pipelineWith(serviceTier: 'flex' | 'priority' | undefined): GenAiPipeline {
  const config = testConfig({
    tiers: NOVA_TIERS,
    features: { chat: { maxInputTokens: 50_000, maxOutputTokens: 512, ...(serviceTier ? { serviceTier } : {}) } },
  });
  return new GenAiPipeline(config, { bedrock: recordingBedrock, recorder: new MemoryRecorder(), now: () => Date.UTC(2026, 11, 1), sleep: async () => undefined, random: () => 0.5 });
}

describe('service tiers at runtime', () => {
  test('sends the feature\'s tier on Converse and prices the call at the tier the simulator reports', async () => {
    const flex = DEFAULT_MODEL_CATALOG[NOVA_PRO].serviceTiers!.flex!;

    const result = await pipelineWith('flex').handle(body, { requestId: 'req-flex' });

    expect(sent[0].serviceTier).toEqual({ type: 'flex' });
    const billed = simulator.sim.calls[0].usage!;
    expect(result.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, flex.inputPerMillion) + usd(billed.outputTokens, flex.outputPerMillion), 12);
    expect(result.cost.priced).toBe('catalog');
  });

  test('prices from the tier the response reports, not the one asked for', async () => {
    // Given Bedrock serving a Flex request at the standard tier
    reportedTier = 'default';
    const standard = DEFAULT_MODEL_CATALOG[NOVA_PRO];

    const result = await pipelineWith('flex').handle(body, { requestId: 'req-served-standard' });

    const billed = simulator.sim.calls[0].usage!;
    expect(sent[0].serviceTier).toEqual({ type: 'flex' });
    expect(result.cost.totalUsd).toBeCloseTo(usd(billed.inputTokens, standard.inputPerMillion) + usd(billed.outputTokens, standard.outputPerMillion), 12);
  });

  test('sends no tier for a standard feature', async () => {
    await pipelineWith(undefined).handle(body, { requestId: 'req-standard' });

    expect(sent[0].serviceTier).toBeUndefined();
  });
});
