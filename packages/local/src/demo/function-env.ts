/**
 * What a local run of a workflow function needs besides the environment its template gives it (local/template/):
 * the workflows' names, the simulator's aliases for the configuration's inference profile ARNs, and putting an
 * environment on this process, without the developer's shell credentials, and back.
 */
import type { PipelineConfigDocument } from '../../../../shared/contract';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/resolve';
import type { LocalEndpoints } from '../template/runtime-environment';

/** The three workflows and their bundled handlers. */
export type Workflow = 'api' | 'document' | 'scheduled';
export const WORKFLOWS: ReadonlyArray<Workflow> = ['api', 'document', 'scheduled'];

/** The account and region of the local "deployment" (ARNs only; nothing is called in AWS). */
export { LOCAL_ACCOUNT, LOCAL_REGION };

/** GENAI_PIPELINE_CONFIG as the workflow construct writes it: the contract's document. */
export type ConstructPipelineConfig = PipelineConfigDocument;

export type { LocalEndpoints };

export { DEFAULT_MAX_INPUT_TOKENS, DEFAULT_MAX_OUTPUT_TOKENS } from '../../../../shared/contract';

/** What the simulator must know to resolve the configuration's application inference profile ARNs. */
export function modelAliases(config: ConstructPipelineConfig): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const tier of Object.values(config.tiers)) {
    if (tier && tier.invokeId !== tier.modelId) aliases[tier.invokeId] = tier.modelId;
  }
  if (config.embedding && config.embedding.invokeId !== config.embedding.modelId) aliases[config.embedding.invokeId] = config.embedding.modelId;
  return aliases;
}

// Variables of the developer's shell that would make the function's SDK clients reach for a real account.
const SHELL_ONLY = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_ENDPOINT_URL'];

/**
 * Sets the function's environment on this process (handlers read it at init), removing shell credentials; returns
 * a function that puts the previous values back.
 */
export function applyEnvironment(env: Record<string, string>): () => void {
  const keys = [...Object.keys(env), ...SHELL_ONLY];
  const previous = new Map(keys.map((k) => [k, process.env[k]]));
  for (const key of SHELL_ONLY) delete process.env[key];
  Object.assign(process.env, env);
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
