import { CfnResource, TagManager, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { GenAiTagKey } from './genai-tag-keys';
import { exampleFor, fieldFor } from './tag-messages';
import { ALLOWED_INFERENCE_TYPES, DEFAULT_ALLOWED_ENVIRONMENTS, DEFAULT_REQUIRED_GENAI_TAG_KEYS } from './tag-rules';

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
}

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
    const policy = new GenAiTagPolicy(options);
    POLICIES.set(scope, policy);
    scope.node.addValidation({ validate: () => policy.validate(scope) });
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

  /** A policy that checks nothing by itself: `enforce` attaches one to a scope, `validate` checks a subtree on demand. */
  constructor(options: GenAiTagPolicyOptions = {}) {
    this.requiredKeys = [...(options.requiredKeys ?? DEFAULT_REQUIRED_GENAI_TAG_KEYS)];
    this.allowedEnvironments = [...(options.allowedEnvironments ?? DEFAULT_ALLOWED_ENVIRONMENTS)];
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
    const badValues = new Map<string, string[]>();
    for (const construct of scope.node.findAll()) {
      if (!CfnResource.isCfnResource(construct)) continue;
      // TagManager.of covers both ways L1s expose tags (`tags` and, on newer resources, `cdkTagManager`).
      const tagManager = TagManager.of(construct);
      if (!tagManager) continue;
      const tags = tagManager.tagValues();
      const label = `${construct.node.path} (${construct.cfnResourceType})`;
      for (const key of this.requiredKeys) {
        const value = tags[key];
        if (value === undefined || (!Token.isUnresolved(value) && value.trim() === '')) {
          pushTo(missing, key, label);
        }
      }
      this.checkAllowed(tags[GenAiTagKey.ENVIRONMENT], GenAiTagKey.ENVIRONMENT, this.allowedEnvironments, label, badValues);
      this.checkAllowed(tags[GenAiTagKey.INFERENCE_TYPE], GenAiTagKey.INFERENCE_TYPE, ALLOWED_INFERENCE_TYPES, label, badValues);
    }

    const errors: string[] = [];
    for (const [key, paths] of missing) {
      errors.push(
        `GenAI tag policy: required tag '${key}' is missing or empty on ${describePaths(paths)}. ` +
        `Fix: GenAiTags.apply(scope, { ${fieldFor(key)}: ${exampleFor(key)} }) on the app, the stack or the workflow ` +
        `(or pass it in the workflow's 'tags' prop). Required keys: ${this.requiredKeys.join(', ')}.`,
      );
    }
    for (const [message, paths] of badValues) {
      errors.push(`GenAI tag policy: ${message} on ${describePaths(paths)}.`);
    }
    return errors;
  }

  private checkAllowed(
    value: string | undefined,
    key: GenAiTagKey,
    allowed: ReadonlyArray<string>,
    label: string,
    badValues: Map<string, string[]>,
  ): void {
    if (value === undefined || Token.isUnresolved(value) || allowed.includes(value)) return;
    pushTo(badValues, `tag '${key}' is '${value}', which is not allowed. Fix: use one of ${allowed.join(', ')}`, label);
  }
}

function pushTo<K>(map: Map<K, string[]>, key: K, value: string): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

function describePaths(paths: string[]): string {
  const shown = paths.slice(0, MAX_PATHS_IN_MESSAGE).map((p) => `'${p}'`).join(', ');
  const more = paths.length > MAX_PATHS_IN_MESSAGE ? ` and ${paths.length - MAX_PATHS_IN_MESSAGE} more` : '';
  return `${paths.length} resource${paths.length === 1 ? '' : 's'}: ${shown}${more}`;
}
