/**
 * The chat "deployed" locally: the chat stack synthesized, its streaming API function given the environment its
 * template gives it (tables created in DynamoDB Local, endpoints pointed at the local services), its bundle loaded
 * once as a warm container, and the chat page served on 127.0.0.1.
 */
import { ENV } from '../../../../../shared/contract';
import { createTemplateResources, ResolvedFunction, resolveFunction, TemplateResolver } from '../../template';
import { isStreamingHandler, StreamingHandler, StreamingOutcome } from '../../template/lambda-streaming';
import { localLambdaContext, localRuntimeEnvironment, withLocalStateTableTimeouts } from '../../template/runtime-environment';
import { applyEnvironment, ConstructPipelineConfig, modelAliases } from '../function-env';
import { loadBundledHandler } from '../handler-bundle';
import type { LocalStack } from '../local-stack';
import { buildChatPage } from './chat-page';
import { ChatIdentity, ChatServer, startChatServer } from './chat-server';
import type { ChatTemplate } from './chat-stack';

/** The chat's caller by default: a tenant and user of the demo's support chat. */
export const DEFAULT_CHAT_IDENTITY: ChatIdentity = { tenantId: 'acme-corp', userId: 'agent-7' };

/** The synthesized chat stack and its streaming function. */
export class ChatDeployment {
  /** Synthesizes the chat stack (a few seconds; aws-cdk-lib and the constructs are loaded only here). */
  static synthesize(): ChatDeployment {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synthesizeChatStack } = require('./chat-stack') as typeof import('./chat-stack');
    return new ChatDeployment(synthesizeChatStack());
  }

  readonly resolver: TemplateResolver;
  readonly fn: ResolvedFunction;

  constructor(readonly ids: ChatTemplate) {
    this.resolver = new TemplateResolver(ids.template, { stackName: ids.stackName });
    this.fn = resolveFunction(this.resolver, { logicalId: ids.functionId });
  }

  /** The function's GENAI_PIPELINE_CONFIG. */
  pipelineConfig(): ConstructPipelineConfig {
    return JSON.parse(this.fn.environment[ENV.pipelineConfig]) as ConstructPipelineConfig;
  }

  /** What the simulator must know to resolve the function's application inference profile ARNs. */
  modelAliases(): Record<string, string> {
    return modelAliases(this.pipelineConfig());
  }
}

/** The chat, running. */
export interface RunningChat {
  readonly server: ChatServer;
  readonly deployment: ChatDeployment;
  /** The usage ledger's table name. */
  readonly ledgerTable: string;
  /** Stops the server and puts the environment back (the local stack is the caller's). */
  stop(): Promise<void>;
}

/** Starts the chat on a started stack (`startLocalStack({ modelAliases: deployment.modelAliases() })`). */
export async function runChat(options: {
  readonly stack: LocalStack;
  readonly deployment: ChatDeployment;
  readonly identity?: ChatIdentity;
  readonly port?: number;
  readonly onInvocationEnd?: (requestId: string, outcome: StreamingOutcome) => void;
  /**
   * Loads the handler once the function's environment is set. Tests under jest load the handler's source: jest's
   * module sandbox cannot run the bundle's dynamic `import()` (the AWS SDK's lazy `node:http`).
   * @default the api-stream bundle, the code the construct deploys
   */
  readonly loadHandler?: () => unknown;
}): Promise<RunningChat> {
  const { stack, deployment } = options;
  const { fn, resolver } = deployment;
  await createTemplateResources(resolver, fn.referenced, stack);
  const restoreEnv = applyEnvironment(withLocalStateTableTimeouts({ ...fn.environment, ...localRuntimeEnvironment(fn, stack.endpoints, resolver.region) }));
  try {
    const handler = options.loadHandler ? options.loadHandler() : loadBundledHandler('api-stream');
    if (!isStreamingHandler(handler)) {
      throw new Error('the api-stream bundle exports no streaming handler (awslambda.streamifyResponse): run `npm run build:handlers` in the repository.');
    }
    const ledgerTable = deployment.pipelineConfig().guards?.ledgerTableName;
    if (!ledgerTable) throw new Error(`the chat stack's function (${fn.logicalId}) has no usage ledger.`);
    const identity = options.identity ?? DEFAULT_CHAT_IDENTITY;
    const server = await startChatServer({
      handler: handler as StreamingHandler,
      identity,
      page: buildChatPage(identity, `${deployment.ids.constructPath}, ApiWorkflow with responseStreaming`),
      context: (requestId) => localLambdaContext(fn, requestId, resolver.account, resolver.region),
      port: options.port,
      onInvocationEnd: options.onInvocationEnd,
    });
    return {
      server,
      deployment,
      ledgerTable,
      stop: async () => {
        try {
          await server.close();
        } finally {
          restoreEnv();
        }
      },
    };
  } catch (error) {
    restoreEnv();
    throw error;
  }
}
