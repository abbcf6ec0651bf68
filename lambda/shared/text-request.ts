import { workflowTenant } from '../pipeline/config';
import type { PipelineResult } from '../pipeline/types';
import { containerPipeline, pipelineConfig } from '../composition/pipeline-runtime';

/**
 * Runs one text (a document, a day's record) through the container's pipeline as a request of the workflow's own
 * tenant (its Customer tag, else 'internal') and default feature, with the configured instructions or the given
 * default ones.
 */
export function runTextRequest(requestId: string, userId: string, text: string, defaultInstructions: string): Promise<PipelineResult> {
  const config = pipelineConfig();
  return containerPipeline().run({
    requestId,
    tenantId: workflowTenant(config),
    userId,
    feature: config.defaultFeature,
    systemPrompt: config.defaultSystemPrompt ?? defaultInstructions,
    history: [],
    message: text,
    hints: {},
  });
}
