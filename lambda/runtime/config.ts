/** What the construct told the handler, read once per container from its environment. */
export interface HandlerConfig {
  /** The application inference profile ARN (or, locally, a model id) the handler invokes. */
  readonly modelId: string;
  /** The base model id behind it, for pricing and logs. */
  readonly baseModelId: string;
  readonly maxTokens: number;
  readonly systemPrompt?: string;
  /** The GenAI tags of the function, for attribution in logs and metrics. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Reads the handler configuration, failing loudly on a deployment mistake rather than calling Bedrock wrongly. */
export function readHandlerConfig(env: NodeJS.ProcessEnv = process.env): HandlerConfig {
  const modelId = required(env, 'GENAI_MODEL_ID');
  const maxTokens = Number(env.GENAI_MAX_TOKENS ?? '1024');
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new Error(`GENAI_MAX_TOKENS is '${env.GENAI_MAX_TOKENS}', not a positive whole number.`);
  }
  return {
    modelId,
    baseModelId: env.GENAI_BASE_MODEL_ID ?? modelId,
    maxTokens,
    systemPrompt: env.GENAI_SYSTEM_PROMPT || undefined,
    tags: parseTags(env.GENAI_TAGS),
  };
}

/** Reads a variable the construct always sets. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set; the workflow construct sets it.`);
  return value;
}

function parseTags(json: string | undefined): Record<string, string> {
  if (!json) return {};
  try {
    const parsed = JSON.parse(json);
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}
