/**
 * The demo stack "deployed" locally: each function's environment as the template gives it (resolved by the same
 * resolver as `local invoke --template`), plus the Lambda runtime's variables and the local endpoints, and the
 * tables that environment names created in DynamoDB Local.
 */
import { ENV } from '../../../../shared/contract';
import { createTemplateResources, ResolvedFunction, resolveFunction, TemplateResolver } from '../template';
import { localRuntimeEnvironment, withLocalStateTableTimeouts } from '../template/runtime-environment';
import type { DemoTemplate } from './demo-stack';
import { ConstructPipelineConfig, modelAliases } from './function-env';
import type { LocalStack } from './local-stack';

/** The synthesized demo stack and its functions. */
export class DemoDeployment {
  /**
   * Synthesizes the demo stack (a few seconds). aws-cdk-lib and the constructs are loaded only here, so that the
   * other local commands do not pay for them.
   */
  static synthesize(): DemoDeployment {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synthesizeDemoStack } = require('./demo-stack') as typeof import('./demo-stack');
    return new DemoDeployment(synthesizeDemoStack());
  }

  private readonly resolver: TemplateResolver;
  private readonly functions = new Map<string, ResolvedFunction>();

  constructor(readonly ids: DemoTemplate) {
    this.resolver = new TemplateResolver(ids.template, { stackName: ids.stackName });
  }

  /** A function of the stack, its environment resolved. */
  function(logicalId: string): ResolvedFunction {
    let fn = this.functions.get(logicalId);
    if (!fn) {
      fn = resolveFunction(this.resolver, { logicalId });
      this.functions.set(logicalId, fn);
    }
    return fn;
  }

  /** The GENAI_PIPELINE_CONFIG the template gives a workflow function. */
  pipelineConfig(logicalId: string): ConstructPipelineConfig {
    const text = this.function(logicalId).environment[ENV.pipelineConfig];
    if (text === undefined) throw new Error(`${logicalId} of the demo stack has no ${ENV.pipelineConfig}.`);
    return JSON.parse(text) as ConstructPipelineConfig;
  }

  /** What the simulator must know to resolve every application inference profile ARN of the stack's workflows. */
  modelAliases(): Record<string, string> {
    const workflows = [...Object.values(this.ids.scenarios), this.ids.quota, ...Object.values(this.ids.breakerFeatures)];
    return Object.assign({}, ...workflows.map((id) => modelAliases(this.pipelineConfig(id))));
  }

  /**
   * Creates the tables and buckets the function's environment names (an existing one is kept) and returns the
   * environment to run it with: the template's, the runtime's, the local endpoints, the local state-table timeouts.
   */
  async prepare(logicalId: string, stack: LocalStack): Promise<Record<string, string>> {
    const fn = this.function(logicalId);
    await createTemplateResources(this.resolver, fn.referenced, stack);
    return withLocalStateTableTimeouts({ ...fn.environment, ...localRuntimeEnvironment(fn, stack.endpoints, this.resolver.region) });
  }

  /** The physical name a resource of the stack resolves to (a table's name, say). */
  nameOf(logicalId: string): string {
    return this.resolver.physicalName(logicalId);
  }
}
