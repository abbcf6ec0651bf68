/**
 * A small evaluator of IAM policies for the requests the signal paths make, in one account: AWS services publishing
 * to a topic, using its key, invoking a function, writing to a bucket; a role acting on IAM or DynamoDB.
 *
 * It follows IAM's evaluation logic for that case (an explicit Deny in any policy wins; else the request is allowed
 * if the resource policy or, same account, an identity policy allows it; else it is implicitly denied; a KMS key
 * honours identity policies only when its key policy allows the account) and supports:
 * `Principal`/`NotPrincipal` (`*`, `AWS` `*`/account/ARN, `Service`), `Action`/`NotAction` and
 * `Resource`/`NotResource` with `*` and `?` wildcards, and the condition operators String*, Arn*, Bool and Null,
 * with `IfExists`. Condition keys are matched case-insensitively; a negated operator holds when its key is absent.
 *
 * What it does not know it does not allow: a condition with any other operator never lets an Allow apply and always
 * lets a Deny apply. The library's tests check that it agrees with the `@cloud-copilot/iam-simulate` simulator on
 * every request of the example app and the construct test stacks (the simulator is a test-only dependency: it is
 * AGPL-3.0, and it is asynchronous while CDK's validation plugins are not).
 *
 * Two simplifications, harmless for the paths the library builds (service principals on topics, keys, functions
 * and buckets; roles on tables through identity policies) but not for a general audit: a resource policy that
 * names the account (`arn:aws:iam::<account>:root`) is taken to admit its principals outright, where IAM also asks
 * for an identity-policy Allow; and `ArnLike` matches the whole ARN as one string with wildcards, where IAM matches
 * each of its six colon-separated parts apart.
 */

/** One request, as IAM sees it. */
export interface AccessRequest {
  /** A service principal (`cloudwatch.amazonaws.com`) or an IAM principal ARN. */
  readonly principal: string;
  readonly action: string;
  /** The resource ARN. */
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  /** The request context: `aws:SourceAccount`, `aws:SourceArn`, `aws:SecureTransport`, ... */
  readonly context: Readonly<Record<string, string>>;
}

/** The policies that decide a request. */
export interface AccessPolicies {
  /** The resource's policy (topic policy, key policy, bucket policy, function permissions), if it has one. */
  readonly resourcePolicy?: PolicyDocument;
  /** The principal's identity policies. */
  readonly identityPolicies?: ReadonlyArray<PolicyDocument>;
}

/** An IAM policy document (resolved: no intrinsics). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: ReadonlyArray<Record<string, any>>;
}

/** The same three outcomes the simulator reports. */
export type AccessDecision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** Decides `request` under `policies`. */
export function evaluateAccess(request: AccessRequest, policies: AccessPolicies): AccessDecision {
  const identity = policies.identityPolicies ?? [];
  const resource = policies.resourcePolicy ? [policies.resourcePolicy] : [];
  const matching = (docs: ReadonlyArray<PolicyDocument>, effect: string, isResourcePolicy: boolean) => docs
    .flatMap((d) => list(d.Statement))
    .filter((s) => s.Effect === effect && statementApplies(s, request, isResourcePolicy, effect === 'Deny'));
  if (matching(identity, 'Deny', false).length > 0 || matching(resource, 'Deny', true).length > 0) return 'ExplicitlyDenied';
  if (matching(resource, 'Allow', true).length > 0) return 'Allowed';
  const identityAllows = matching(identity, 'Allow', false).length > 0;
  if (!identityAllows) return 'ImplicitlyDenied';
  // A key policy must delegate to the account before identity policies count (KMS's rule, unlike other services).
  if (request.action.toLowerCase().startsWith('kms:') && policies.resourcePolicy) {
    const delegates = list(policies.resourcePolicy.Statement).some((s) => s.Effect === 'Allow'
      && principalMatches(s, `arn:aws:iam::${request.resourceAccount}:root`) && actionMatches(s, request.action));
    return delegates ? 'Allowed' : 'ImplicitlyDenied';
  }
  return 'Allowed';
}

function statementApplies(s: Record<string, any>, request: AccessRequest, isResourcePolicy: boolean, isDeny: boolean): boolean {
  if (isResourcePolicy && !principalMatches(s, request.principal)) return false;
  return actionMatches(s, request.action) && resourceMatches(s, request.resource) && conditionsHold(s.Condition, request.context, isDeny);
}

function principalMatches(s: Record<string, any>, principal: string): boolean {
  if (s.Principal !== undefined) return principalListMatches(s.Principal, principal);
  if (s.NotPrincipal !== undefined) return !principalListMatches(s.NotPrincipal, principal);
  return false;
}

function principalListMatches(value: any, principal: string): boolean {
  if (value === '*') return true;
  const services = list(value?.Service).map(String);
  if (services.includes(principal)) return true;
  for (const aws of list(value?.AWS).map(String)) {
    if (aws === '*') return true;
    if (aws === principal) return true;
    const account = /^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$/.exec(aws)?.[1];
    if (account !== undefined && accountOf(principal) === account) return true;
  }
  return false;
}

function accountOf(principal: string): string | undefined {
  return /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

function actionMatches(s: Record<string, any>, action: string): boolean {
  if (s.Action !== undefined) return list(s.Action).some((a) => wildcard(String(a), action, true));
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => wildcard(String(a), action, true));
  return false;
}

function resourceMatches(s: Record<string, any>, resource: string): boolean {
  if (s.Resource !== undefined) return list(s.Resource).some((r) => wildcard(String(r), resource, false));
  if (s.NotResource !== undefined) return !list(s.NotResource).some((r) => wildcard(String(r), resource, false));
  // Key policies and other resource policies may leave Resource out: the statement is about the resource itself.
  return true;
}

function conditionsHold(condition: Record<string, Record<string, unknown>> | undefined, context: Readonly<Record<string, string>>, isDeny: boolean): boolean {
  if (!condition) return true;
  const lowerContext = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition).every(([operator, keys]) => Object.entries(keys ?? {}).every(([key, expected]) => {
    const outcome = operatorHolds(operator, lowerContext.get(key.toLowerCase()), list(expected).map(String));
    return outcome === 'unknown' ? isDeny : outcome;
  }));
}

// One condition operator on one key. 'unknown' for operators this evaluator does not implement.
function operatorHolds(operator: string, actual: string | undefined, expected: string[]): boolean | 'unknown' {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  if (base === 'Null') return expected.some((e) => (e.toLowerCase() === 'true') === (actual === undefined));
  const negated = /Not/.test(base);
  const compare = COMPARISONS[base.replace('Not', '')];
  if (!compare) return 'unknown';
  if (actual === undefined) return ifExists || negated;
  const positive = expected.some((e) => compare(e, actual));
  return negated ? !positive : positive;
}

const COMPARISONS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  ArnEquals: (e, a) => e === a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => wildcard(e, a, false),
  ArnLike: (e, a) => wildcard(e, a, false),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
};

// Compiled once per pattern: a template's paths ask the same few patterns hundreds of times.
const PATTERNS = new Map<string, RegExp>();

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = PATTERNS.get(key);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, ignoreCase ? 'is' : 's');
    PATTERNS.set(key, regex);
  }
  return regex.test(value);
}

function list(value: unknown): any[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}
