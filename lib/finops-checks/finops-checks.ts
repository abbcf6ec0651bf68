import { readFileSync } from 'node:fs';
import { CfnResource, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { FINOPS_RULES } from './rules';
import { templateModel } from './template-model';

/**
 * The FinOps rule pack as a CDK policy-validation plugin, for any CDK app (not only ones built with this library):
 *
 * ```ts
 * Validations.of(app).addPlugins(new GenAiFinOpsChecks());
 * ```
 *
 * Findings land in `cdk.out/validation-report.json` beside cdk-nag's and fail synthesis; each names the resource,
 * what to change and which construct of this library does it. Acknowledge one with
 * `Validations.of(scope).acknowledge({ id: 'GenAIFinOps-LMB1', reason: '...' })` on the resource or a scope above it.
 */
export class GenAiFinOpsChecks implements IPolicyValidationPlugin {
  public readonly name = 'GenAI FinOps';
  public readonly version?: string = '0.1.0';
  public readonly ruleIds?: string[] = FINOPS_RULES.map((r) => r.id);

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    const constructs = resourcesByStack(context.appConstruct);
    for (const { templatePath, stackConstructPath } of context.stackTemplates) {
      const model = templateModel(JSON.parse(readFileSync(templatePath, 'utf8')));
      const byLogicalId = constructs.get(stackConstructPath) ?? new Map<string, IConstruct>();
      for (const rule of FINOPS_RULES) {
        const findings = rule.check(model).filter((f) => !isAcknowledged(byLogicalId.get(f.logicalId), rule.id));
        if (findings.length === 0) continue;
        violations.push({
          ruleName: rule.id,
          description: `${rule.id} ${rule.title}: ${findings.map((f) => `${f.logicalId} (${f.detail})`).join('; ')}`,
          fix: rule.fix,
          severity: rule.severity,
          violatingResources: findings.map((f) => ({ resourceLogicalId: f.logicalId, templatePath, locations: ['Properties'] })),
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}

/** Every CfnResource of the app, by stack path and logical id: acknowledgements live on constructs. */
function resourcesByStack(app: IConstruct): Map<string, Map<string, IConstruct>> {
  const stacks = new Map<string, Map<string, IConstruct>>();
  for (const node of app.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    const stack = Stack.of(node);
    let map = stacks.get(stack.node.path);
    if (!map) stacks.set(stack.node.path, (map = new Map()));
    map.set(stack.resolve(node.logicalId), node);
  }
  return stacks;
}

// The same reading of `Validations.of(scope).acknowledge` that cdk-nag makes: on the resource or any scope above it.
function isAcknowledged(resource: IConstruct | undefined, ruleId: string): boolean {
  for (let current: IConstruct | undefined = resource; current; current = current.node.scope) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      if (Object.keys(entry.data as object).some((k) => k.replace(/^annotation::/i, '') === ruleId)) return true;
    }
  }
  return false;
}
