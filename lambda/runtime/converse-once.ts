import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { bedrockClient } from './clients';
import { HandlerConfig } from './config';

/** Token usage as Bedrock reports it. */
export interface ModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** The answer of one model call. */
export interface ModelAnswer {
  readonly text: string;
  readonly stopReason: string;
  readonly usage: ModelUsage;
}

/** One Converse call with the configured output cap. */
export async function converseOnce(config: HandlerConfig, userText: string, systemPrompt?: string): Promise<ModelAnswer> {
  const system = systemPrompt ?? config.systemPrompt;
  const response = await bedrockClient().send(new ConverseCommand({
    modelId: config.modelId,
    system: system ? [{ text: system }] : undefined,
    messages: [{ role: 'user', content: [{ text: userText }] }],
    inferenceConfig: { maxTokens: config.maxTokens },
  }));
  const text = (response.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
  return {
    text,
    stopReason: response.stopReason ?? 'unknown',
    usage: {
      inputTokens: response.usage?.inputTokens ?? 0,
      outputTokens: response.usage?.outputTokens ?? 0,
      cacheReadInputTokens: response.usage?.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: response.usage?.cacheWriteInputTokens ?? 0,
    },
  };
}
