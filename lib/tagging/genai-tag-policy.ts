import { CfnResource, Stack, TagManager, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { GenAiTagKey } from './genai-tag-keys';
import { exampleFor, fieldFor, kebabCase, scopeName, tagPropOf, variableNameFor } from './tag-messages';
import { ALLOWED_INFERENCE_TYPES, DEFAULT_ALLOWED_ENVIRONMENTS, DEFAULT_REQUIRED_GENAI_TAG_KEYS } from './tag-rules';
import { checkProps, oneOf, PropKinds } from '../private/prop-check';

/** Options of a GenAI tag policy. */
export interface GenAiTagPolicyOptions {
  /**
   * Keys every taggable resource must carry with a non-empty value.
   * @default Environment, Application, Feature, Team, CostCenter
   */
  readonly requiredKeys?: GenAiTagKey[];
  /**
   * Values accepted for the Environment tag.
   * @default ['production', 'staging', 'development']
   */
  readonly allowedEnvironments?: string[];
  /**
   * Leave out the resources aws-cdk-lib adds on its own: its singleton functions (the bucket-notifications handler
   * behind `Custom::S3BucketNotifications`, log-retention and `AwsCustomResource` functions), recognised by their
   * construct ids (a name followed by a 32-hex-digit UUID, as `SingletonFunction` makes them) or a
   * `...CustomResourceProvider` scope. They serve the whole stack, carry no Feature of their own and cost next to
   * nothing. Set false to have them checked too (then tag them, e.g. `GenAiTags.apply(stack, ...)`).
   * @default true
   */
  readonly exemptCdkInternal?: boolean;
}

// aws-cdk-lib's SingletonFunction ids: a name and the function's UUID without dashes.
const CDK_SINGLETON_ID = /^[A-Za-z][A-Za-z0-9]*[0-9a-f]{32}$/;
const CDK_PROVIDER_ID = /CustomResourceProvider$/;
// The L2s' primary children: a suggested scope is the construct a user wrote, not its default child.
const DEFAULT_CHILD_IDS = new Set(['Resource', 'Default']);

// How many resource paths an error lists before it summarises the rest.
const MAX_PATHS_IN_MESSAGE = 5;

const POLICIES = new WeakMap<IConstruct, GenAiTagPolicy>();

/**
 * The GenAI tag schema, enforced when the app is synthesized.
 *
 * Every taggable resource under an enforced scope must carry the required keys with non-empty values, and
 * the constrained keys (Environment, InferenceType) must hold allowed values; otherwise synthesis fails
 * with the resource paths, the key and the fix.
 *
 * The library's workflows check their own resources against the nearest enforced policy, or against the
 * default policy when none is enforced, so a workflow can never reach the bill unattributed.
 */
export class GenAiTagPolicy {
  /**
   * Enforce the policy on every taggable resource under `scope` (typically the App or a Stack).
   */
  public static enforce(scope: IConstruct, options: GenAiTagPolicyOptions = {}): GenAiTagPolicy {
    checkProps(scope, 'GenAiTagPolicyOptions', options, TAG_POLICY_OPTION_KINDS);
    const policy = new GenAiTagPolicy(options);
    POLICIES.set(scope, policy);
    // CDK prints each error after the path of the construct that validated it, which for the app is '[]'; a
    // named child says where the errors come from instead.
    const host = scope.node.path === '' ? new Construct(scope as Construct, 'GenAiTagPolicy') : scope;
    host.node.addValidation({ validate: () => policy.validate(scope) });
    return policy;
  }

  /** The policy enforced on `scope` or its nearest enclosing scope, if any. */
  public static enforcedAbove(scope: IConstruct): GenAiTagPolicy | undefined {
    for (const s of [...scope.node.scopes].reverse()) {
      const policy = POLICIES.get(s);
      if (policy) return policy;
    }
    return undefined;
  }

  /** Keys every taggable resource must carry. */
  public readonly requiredKeys: GenAiTagKey[];
  /** Values accepted for Environment. */
  public readonly allowedEnvironments: string[];
  /** Whether aws-cdk-lib's own singleton resources are left out. */
  public readonly exemptCdkInternal: boolean;

  /** A policy that checks nothing by itself: `enforce` attaches one to a scope, `validate` checks a subtree on demand. */
  constructor(options: GenAiTagPolicyOptions = {}) {
    this.requiredKeys = [...(options.requiredKeys ?? DEFAULT_REQUIRED_GENAI_TAG_KEYS)];
    this.allowedEnvironments = [...(options.allowedEnvironments ?? DEFAULT_ALLOWED_ENVIRONMENTS)];
    this.exemptCdkInternal = options.exemptCdkInternal ?? true;
    if (this.allowedEnvironments.length === 0) {
      throw new Error("GenAiTagPolicy: 'allowedEnvironments' is empty, so no resource could ever pass. Fix: list at least one environment, or leave it out for production, staging, development.");
    }
  }

  /**
   * The policy's violations under `scope`, one message per broken rule, each naming the resources.
   * Empty when every taggable resource complies.
   */
  public validate(scope: IConstruct): string[] {
    const missing = new Map<GenAiTagKey, string[]>();
    const missingResources = new Map<GenAiTagKey, IConstruct[]>();
    const badValues = new Map<string, string[]>();
    for (const construct of scope.node.findAll()) {
      if (!CfnResource.isCfnResource(construct)) continue;
      if (this.exemptCdkInternal && isCdkInternal(construct, scope)) continue;
      // TagManager.of covers both ways L1s expose tags (`tags` and, on newer resources, `cdkTagManager`).
      const tagManager = TagManager.of(construct);
      if (!tagManager) continue;
      const tags = tagManager.tagValues();
      const label = `${construct.node.path} (${construct.cfnResourceType})`;
      for (const key of this.requiredKeys) {
        const value = tags[key];
        if (value === undefined || (!Token.isUnresolved(value) && value.trim() === '')) {
          pushTo(missing, key, label);
          pushTo(missingResources, key, construct);
        }
      }
      this.checkAllowed(tags[GenAiTagKey.ENVIRONMENT], GenAiTagKey.ENVIRONMENT, this.allowedEnvironments,
        "(the policy's allowedEnvironments; list more in GenAiTagPolicy.enforce(scope, { allowedEnvironments: [...] }))", label, badValues);
      this.checkAllowed(tags[GenAiTagKey.INFERENCE_TYPE], GenAiTagKey.INFERENCE_TYPE, ALLOWED_INFERENCE_TYPES, '', label, badValues);
    }

    const errors: string[] = [];
    for (const [key, paths] of missing) {
      const holder = nearestHolder(missingResources.get(key)!);
      const prop = tagPropOf(holder);
      errors.push(
        `GenAI tag policy: required tag '${key}' is missing or empty on ${describePaths(paths)}. ` +
        `Fix: tag ${scopeName(holder)}, the nearest construct holding them: GenAiTags.apply(${variableNameFor(holder)}, { ${fieldFor(key)}: ${suggestedValue(key, holder)} })` +
        `${prop ? ` or set it in its '${prop}' prop` : ''}. Required keys: ${this.requiredKeys.join(', ')}.`,
      );
    }
    for (const [message, paths] of badValues) {
      errors.push(`GenAI tag policy: on ${describePaths(paths)}: ${message}.`);
    }
    return errors;
  }

  private checkAllowed(
    value: string | undefined,
    key: GenAiTagKey,
    allowed: ReadonlyArray<string>,
    where: string,
    label: string,
    badValues: Map<string, string[]>,
  ): void {
    if (value === undefined || Token.isUnresolved(value) || allowed.includes(value)) return;
    pushTo(badValues, `tag '${key}' is '${value}', which is not allowed. Fix: use one of ${allowed.join(', ')}${where ? ` ${where}` : ''}`, label);
  }
}

/** Whether a resource is one aws-cdk-lib adds by itself, below `scope` (a singleton function, a provider). */
function isCdkInternal(resource: IConstruct, scope: IConstruct): boolean {
  const scopes = resource.node.scopes;
  return scopes.slice(scopes.indexOf(scope) + 1).some((s) => CDK_SINGLETON_ID.test(s.node.id) || CDK_PROVIDER_ID.test(s.node.id));
}

/** The deepest construct all `resources` are under, above the L2s' default children. */
function nearestHolder(resources: IConstruct[]): IConstruct {
  let common = resources[0].node.scopes;
  for (const r of resources.slice(1)) {
    const scopes = r.node.scopes;
    let i = 0;
    while (i < common.length && i < scopes.length && common[i] === scopes[i]) i++;
    common = common.slice(0, i);
  }
  let holder = common[common.length - 1];
  while (holder.node.scope && (CfnResource.isCfnResource(holder) || DEFAULT_CHILD_IDS.has(holder.node.id))) holder = holder.node.scope;
  return holder;
}

/** A value to copy: the holder's id for Feature (a workflow or store is usually named after it), the stack's for Application. */
function suggestedValue(key: GenAiTagKey, holder: IConstruct): string {
  const inStack = holder.node.scopes.some((s) => Stack.isStack(s));
  if (key === GenAiTagKey.FEATURE && !Stack.isStack(holder) && inStack) return `'${kebabCase(holder.node.id)}'`;
  if (key === GenAiTagKey.APPLICATION && inStack) return `'${kebabCase(Stack.of(holder).node.id)}'`;
  return exampleFor(key);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list: V[] = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

function describePaths(paths: string[]): string {
  const shown = paths.slice(0, MAX_PATHS_IN_MESSAGE).map((p) => `'${p}'`).join(', ');
  const more = paths.length > MAX_PATHS_IN_MESSAGE ? ` and ${paths.length - MAX_PATHS_IN_MESSAGE} more` : '';
  return `${paths.length} resource${paths.length === 1 ? '' : 's'}: ${shown}${more}`;
}

// The known keys of GenAiTagPolicyOptions and what each holds (lib/private/prop-check.ts).
const TAG_POLICY_OPTION_KINDS = {
  requiredKeys: { items: oneOf(GenAiTagKey, 'GenAiTagKey') },
  allowedEnvironments: 'string[]',
  exemptCdkInternal: 'boolean',
} as const satisfies PropKinds<GenAiTagPolicyOptions>;
