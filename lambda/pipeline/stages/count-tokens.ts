import { BedrockRuntimeClient, CountTokensCommand, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';

/** The part of a Converse prompt that `CountTokens` reads. */
export interface CountablePrompt {
  readonly system?: SystemContentBlock[];
  readonly messages: Message[];
}

/**
 * The exact input tokens of a Converse prompt, from Bedrock's `CountTokens` (free of charge), for the prompt-limit
 * check near the limit. Undefined when Bedrock cannot say: the model does not support counting
 * (ValidationException), the role may not call it (AccessDeniedException), throttling, a network error, or a
 * response without a count. It never throws and never logs; `checkPromptLimit` fails closed on undefined.
 *
 * @param modelId the base model id or inference profile the prompt would go to (what Converse is called with).
 */
export async function countTokensFor(bedrock: BedrockRuntimeClient, modelId: string, prompt: CountablePrompt): Promise<number | undefined> {
  try {
    const response = await bedrock.send(new CountTokensCommand({
      modelId,
      input: { converse: { system: prompt.system, messages: prompt.messages } },
    }));
    const tokens = response.inputTokens;
    return typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0 ? tokens : undefined;
  } catch {
    return undefined;
  }
}
