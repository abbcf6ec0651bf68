/**
 * A CloudFormation template as the FinOps rules read it: resources by logical id, and the IAM statements of every
 * policy with the resources they are attached to. Pure (no aws-cdk-lib), so the `assess` CLI reads a synthesized
 * template with the same code the synth-time rule pack uses.
 */

/** One resource of a template. */
export interface TemplateResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
}

/** One IAM statement, with where it is attached. */
export interface PolicyStatement {
  /** The logical id of the policy (or of the role holding an inline policy). */
  readonly policyId: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: unknown[];
  readonly condition?: Record<string, unknown>;
  /** Logical ids of the roles the policy applies to. */
  readonly roles: string[];
}

/** The parts of a template the rules look at. */
export interface TemplateModel {
  readonly resources: TemplateResource[];
  readonly statements: PolicyStatement[];
  /** Resources of one type. */
  ofType(type: string): TemplateResource[];
}

/** Reads a template (the JSON object CloudFormation gets). */
export function templateModel(template: { Resources?: Record<string, any> }): TemplateModel {
  const resources: TemplateResource[] = Object.entries(template?.Resources ?? {}).map(([logicalId, r]) => ({
    logicalId, type: String(r?.Type ?? ''), properties: r?.Properties ?? {},
  }));
  const statements: PolicyStatement[] = [];
  for (const r of resources) {
    if (r.type === 'AWS::IAM::Policy' || r.type === 'AWS::IAM::ManagedPolicy') {
      const roles = refsOf(r.properties.Roles);
      for (const s of list(r.properties.PolicyDocument?.Statement)) statements.push(statementOf(r.logicalId, s, roles));
    }
    if (r.type === 'AWS::IAM::Role') {
      for (const policy of list(r.properties.Policies)) {
        for (const s of list(policy?.PolicyDocument?.Statement)) statements.push(statementOf(r.logicalId, s, [r.logicalId]));
      }
    }
  }
  return { resources, statements, ofType: (type) => resources.filter((r) => r.type === type) };
}

/** Bedrock actions that spend: invoking a model. */
export const BEDROCK_INVOKE_ACTIONS: ReadonlyArray<string> = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream', 'bedrock:CreateModelInvocationJob'];

/** Whether a statement allows invoking a Bedrock model (wildcards included). */
export function allowsBedrockInvoke(s: PolicyStatement): boolean {
  return s.effect === 'Allow' && s.actions.some((a) => a === '*' || a === 'bedrock:*' || BEDROCK_INVOKE_ACTIONS.some((i) => matches(a, i)));
}

/** The tags of a resource as a map, whichever way its type renders them (a list of Key/Value or a map). */
export function tagsOf(resource: TemplateResource): Record<string, unknown> {
  const tags = resource.properties.Tags;
  if (!tags) return {};
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t: any) => [t?.Key, t?.Value]));
  return tags;
}

/** A template value as text, intrinsics flattened (`Ref` → its name), for pattern checks on ARNs. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join('');
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
    if (v['Fn::Sub']) return flatten(Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'][0] : v['Fn::Sub']);
    if (v.Ref) return `<${v.Ref}>`;
    if (v['Fn::GetAtt']) return `<${[].concat(v['Fn::GetAtt']).join('.')}>`;
    return JSON.stringify(v);
  }
  return String(value ?? '');
}

function statementOf(policyId: string, s: any, roles: string[]): PolicyStatement {
  return { policyId, effect: String(s?.Effect ?? ''), actions: list(s?.Action).map(String), resources: list(s?.Resource), condition: s?.Condition, roles };
}

function refsOf(value: unknown): string[] {
  return list(value).map((v: any) => (v && typeof v === 'object' && typeof v.Ref === 'string' ? v.Ref : undefined)).filter((v): v is string => v !== undefined);
}

function list(value: unknown): any[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}

function matches(pattern: string, action: string): boolean {
  if (!pattern.includes('*')) return pattern.toLowerCase() === action.toLowerCase();
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}
