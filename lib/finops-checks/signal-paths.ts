/**
 * The signal paths of a synthesized template, as the IAM requests AWS makes along them, with the policies that
 * decide each: the guardrails fire only if every one of them is allowed as deployed. Pure (no aws-cdk-lib): the rule
 * pack, `genai-finops assess` and the tests (which put the same requests to an IAM policy simulator) share it.
 *
 * | path | request |
 * |---|---|
 * | alarm → topic | `cloudwatch.amazonaws.com` sns:Publish, and kms:GenerateDataKey / kms:Decrypt on the topic key |
 * | budget (or budget action) → topic | `budgets.amazonaws.com`, the same |
 * | cost anomaly subscription → topic | `costalerts.amazonaws.com`, the same |
 * | topic → function | `sns.amazonaws.com` lambda:InvokeFunction, with the topic as `aws:SourceArn` |
 * | budget action → deny policy | Budgets assumes the execution role; the role attaches and detaches the deny policy |
 * | data export → bucket | `bcm-data-exports.amazonaws.com` s3:PutObject under the prefix and s3:GetBucketPolicy |
 *
 * Each request comes with the ones that must be refused: the same from another account, without TLS, from another
 * service, for another topic or policy. A topic without a policy keeps SNS's default one, which lets services of
 * the owning account publish: no request is listed for it.
 */
import { ENV } from '../../shared/contract';
import { AccessDecision, AccessPolicies, AccessRequest, evaluateAccess, PolicyDocument } from './policy-evaluator';
import { DeploymentEnvironment, EVALUATION_ENVIRONMENT, TemplateResolver, templateResolver } from './template-resolver';
import { TemplateModel } from './template-model';

/** The kinds of signal path. */
export type SignalPathKind = 'alarm → topic' | 'budget → topic' | 'cost anomaly subscription → topic' | 'topic → function'
| 'budget action → deny policy' | 'data export → bucket';

/** One request along a signal path, the policies that decide it, and whether it must be allowed or refused. */
export interface SignalPathCheck {
  readonly path: SignalPathKind;
  /** The logical id of what sends the signal (an alarm, a budget, a subscription, a topic, an action, an export). */
  readonly source: string;
  /** The logical id of the resource whose policy decides (a topic, a key, a function, a role, a bucket). */
  readonly target: string;
  /** The topic a publish request is for (on the topic, or on its key). */
  readonly topic?: string;
  readonly request: AccessRequest;
  readonly policies: AccessPolicies;
  /** `allow`: the path the guardrails rely on; `deny`: what the path's conditions must refuse. */
  readonly expect: 'allow' | 'deny';
  /** What is asked, for messages. */
  readonly description: string;
}

/** A check and what the evaluator decided. */
export interface JudgedCheck extends SignalPathCheck {
  readonly decision: AccessDecision;
  /** Whether the decision is the expected one. */
  readonly ok: boolean;
}

const OTHER_ACCOUNT = '999999999999';
type RawTemplate = { Resources?: Record<string, { Type?: string; Properties?: Record<string, any> }> };

/** Every signal-path request of a template (or of a template model), deemed deployed in `env`. */
export function signalPathChecks(template: RawTemplate | TemplateModel, env?: DeploymentEnvironment): SignalPathCheck[] {
  const raw = rawTemplateOf(template);
  const r = templateResolver(raw, env ?? environmentOf(raw));
  const resources = raw.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, res]) => res.Type === type);
  const checks: SignalPathCheck[] = [];

  const publishers: Array<{ path: SignalPathKind; source: string; service: string; sourceArn: string; topics: unknown[] }> = [];
  for (const [id, alarm] of [...ofType('AWS::CloudWatch::Alarm'), ...ofType('AWS::CloudWatch::CompositeAlarm')]) {
    const p = alarm.Properties ?? {};
    publishers.push({
      path: 'alarm → topic', source: id, service: 'cloudwatch.amazonaws.com', sourceArn: r.refOf(id, 'Arn'),
      topics: [...list(p.AlarmActions), ...list(p.OKActions), ...list(p.InsufficientDataActions)],
    });
  }
  for (const [id, budget] of ofType('AWS::Budgets::Budget')) {
    const p = budget.Properties ?? {};
    publishers.push({
      path: 'budget → topic', source: id, service: 'budgets.amazonaws.com', sourceArn: budgetArn(r, r.resolve(p.Budget?.BudgetName) ?? id),
      topics: list(p.NotificationsWithSubscribers).flatMap((n) => list(n?.Subscribers)).filter((s) => s?.SubscriptionType === 'SNS').map((s) => s.Address),
    });
  }
  for (const [id, action] of ofType('AWS::Budgets::BudgetsAction')) {
    const p = action.Properties ?? {};
    publishers.push({
      path: 'budget → topic', source: id, service: 'budgets.amazonaws.com', sourceArn: `${budgetArn(r, r.resolve(p.BudgetName))}/action/${id}`,
      topics: list(p.Subscribers).filter((s) => s?.Type === 'SNS').map((s) => s.Address),
    });
  }
  for (const [id, subscription] of ofType('AWS::CE::AnomalySubscription')) {
    publishers.push({
      path: 'cost anomaly subscription → topic', source: id, service: 'costalerts.amazonaws.com', sourceArn: r.refOf(id),
      topics: list(subscription.Properties?.Subscribers).filter((s) => s?.Type === 'SNS').map((s) => s.Address),
    });
  }
  for (const publisher of publishers) {
    const topicIds = new Set(publisher.topics.map((t) => r.logicalIdOf(t)).filter((t): t is string => t !== undefined && resources[t].Type === 'AWS::SNS::Topic'));
    for (const topicId of topicIds) checks.push(...publishChecks(r, resources, publisher, topicId));
  }

  for (const [, subscription] of ofType('AWS::SNS::Subscription')) {
    const p = subscription.Properties ?? {};
    const topicId = r.logicalIdOf(p.TopicArn);
    const functionId = r.logicalIdOf(p.Endpoint);
    if (String(p.Protocol).toLowerCase() !== 'lambda' || !topicId || !functionId) continue;
    checks.push(...invokeChecks(r, resources, topicId, functionId));
  }

  for (const [id, action] of ofType('AWS::Budgets::BudgetsAction')) checks.push(...budgetActionChecks(r, raw, id, action.Properties ?? {}));
  for (const [id, dataExport] of ofType('AWS::BCMDataExports::Export')) checks.push(...dataExportChecks(r, resources, id, dataExport.Properties ?? {}));
  return checks;
}

/** The checks of a template, each decided by {@link evaluateAccess}. */
export function judgeSignalPaths(template: RawTemplate | TemplateModel, env?: DeploymentEnvironment): JudgedCheck[] {
  return signalPathChecks(template, env).map((c) => {
    const decision = evaluateAccess(c.request, c.policies);
    return { ...c, decision, ok: (decision === 'Allowed') === (c.expect === 'allow') };
  });
}

/**
 * The alarms whose notifications act: every request from the alarm to a topic of the template (publish, key) is
 * allowed, the topic invokes a function that may be invoked by it, and, when that function is a circuit breaker,
 * its configuration maps the alarm (an unmapped alarm is ignored by the breaker). By logical id, with the functions.
 */
export function alarmsThatAct(template: RawTemplate | TemplateModel, env?: DeploymentEnvironment): Map<string, string[]> {
  const raw = rawTemplateOf(template);
  const environment = env ?? environmentOf(raw);
  const r = templateResolver(raw, environment);
  const judged = judgeSignalPaths(raw, environment);
  const resources = raw.Resources ?? {};
  const acting = new Map<string, string[]>();
  for (const [alarmId, alarm] of Object.entries(resources)) {
    if (alarm.Type !== 'AWS::CloudWatch::Alarm' && alarm.Type !== 'AWS::CloudWatch::CompositeAlarm') continue;
    const p = alarm.Properties ?? {};
    const topics = new Set([...list(p.AlarmActions), ...list(p.OKActions)].map((t) => r.logicalIdOf(t))
      .filter((t): t is string => t !== undefined && resources[t].Type === 'AWS::SNS::Topic'));
    const functions: string[] = [];
    for (const topicId of topics) {
      const published = judged.filter((c) => c.source === alarmId && c.topic === topicId && c.expect === 'allow').every((c) => c.ok);
      if (!published) continue;
      const invoked = judged.filter((c) => c.path === 'topic → function' && c.source === topicId && c.expect === 'allow' && c.ok).map((c) => c.target);
      functions.push(...invoked.filter((fn) => breakerMaps(r, resources[fn], r.refOf(alarmId))));
    }
    if (functions.length > 0) acting.set(alarmId, functions);
  }
  return acting;
}

// Whether a function ignores the alarm: a circuit breaker acts only on the alarms its configuration names.
function breakerMaps(r: TemplateResolver, fn: { Properties?: Record<string, any> }, alarmName: string): boolean {
  const config = fn.Properties?.Environment?.Variables?.[ENV.breakerConfig];
  if (config === undefined) return true;
  try {
    const alarms = list(JSON.parse(String(r.resolve(config)))?.alarms);
    return alarms.some((a) => a?.name === alarmName);
  } catch {
    return false;
  }
}

/**
 * The account and Region a template's literal ARNs name (a stack with an explicit environment), else
 * {@link EVALUATION_ENVIRONMENT}: conditions written with the literal account must be met by the same account.
 */
export function environmentOf(template: RawTemplate): DeploymentEnvironment {
  const text = JSON.stringify(template.Resources ?? {});
  const count = (re: RegExp) => {
    const seen = new Map<string, number>();
    for (const m of text.matchAll(re)) seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
    return [...seen.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  return {
    // ARN parts, whole or in the pieces of an Fn::Join: `:<account>:`, `:<region>:`, or a condition's bare account.
    account: count(/[:"](\d{12})[:"]/g) ?? EVALUATION_ENVIRONMENT.account,
    region: count(/:([a-z]{2}(?:-gov)?-[a-z]+-\d):/g) ?? EVALUATION_ENVIRONMENT.region,
    partition: count(/arn:(aws[a-z-]*):/g) ?? EVALUATION_ENVIRONMENT.partition,
  };
}

/** The identity policies of a role: its inline policies, the AWS::IAM::Policy and managed policies of the template attached to it. */
export function identityPoliciesOf(r: TemplateResolver, template: RawTemplate, roleId: string): PolicyDocument[] {
  const resources = template.Resources ?? {};
  const role = resources[roleId]?.Properties ?? {};
  const docs: PolicyDocument[] = list(role.Policies).map((p) => r.resolve(p.PolicyDocument));
  const managedArns = new Set(list(role.ManagedPolicyArns).map((a) => r.resolve(a)));
  for (const [id, res] of Object.entries(resources)) {
    if (res.Type !== 'AWS::IAM::Policy' && res.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const attached = list(res.Properties?.Roles).some((x) => r.logicalIdOf(x) === roleId)
      || (res.Type === 'AWS::IAM::ManagedPolicy' && managedArns.has(r.refOf(id)));
    if (attached) docs.push(r.resolve(res.Properties?.PolicyDocument));
  }
  return docs;
}

function publishChecks(r: TemplateResolver, resources: NonNullable<RawTemplate['Resources']>, publisher: { path: SignalPathKind; source: string; service: string; sourceArn: string }, topicId: string): SignalPathCheck[] {
  const { account } = r.env;
  const topicPolicies = Object.values(resources).filter((res) => res.Type === 'AWS::SNS::TopicPolicy'
    && list(res.Properties?.Topics).some((t) => r.logicalIdOf(t) === topicId));
  const checks: SignalPathCheck[] = [];
  const topicArn = r.refOf(topicId);
  const context = { 'aws:SourceAccount': account, 'aws:SourceArn': publisher.sourceArn, 'aws:SecureTransport': 'true' };
  const otherAccount = { 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': publisher.sourceArn.replace(`:${account}:`, `:${OTHER_ACCOUNT}:`), 'aws:SecureTransport': 'true' };
  const base = { path: publisher.path, source: publisher.source, topic: topicId };
  if (topicPolicies.length > 0) {
    const resourcePolicy = { Version: '2012-10-17', Statement: topicPolicies.flatMap((t) => list(r.resolve(t.Properties?.PolicyDocument)?.Statement)) };
    const publish = (principal: string, ctx: Record<string, string>, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
      ...base, target: topicId, expect, policies: { resourcePolicy },
      request: { principal, action: 'sns:Publish', resource: topicArn, resourceAccount: account, context: ctx },
      description: `${publisher.path}: ${principal} sns:Publish to ${topicId} ${why}`,
    });
    checks.push(
      publish(publisher.service, context, 'allow', `for ${publisher.source}`),
      publish(publisher.service, otherAccount, 'deny', 'for another account'),
      publish(publisher.service, { ...context, 'aws:SecureTransport': 'false' }, 'deny', 'without TLS'),
      publish('events.amazonaws.com', context, 'deny', 'by another service'),
      publish(publisher.service, { 'aws:SourceAccount': account, 'aws:SecureTransport': 'true' }, 'deny', 'without aws:SourceArn (the policy must name the source)'),
    );
  }
  const keyValue = resources[topicId].Properties?.KmsMasterKeyId;
  const keyId = r.logicalIdOf(keyValue);
  const managedKey = typeof keyValue === 'string' && /alias\/aws\/sns$/.test(keyValue);
  if (keyId || managedKey) {
    // SNS's AWS managed key lets only principals of the account, through SNS, use it: its policy cannot admit a service.
    const resourcePolicy: PolicyDocument = keyId ? r.resolve(resources[keyId].Properties?.KeyPolicy) : { Version: '2012-10-17', Statement: [] };
    const keyArn = keyId ? r.refOf(keyId, 'Arn') : `arn:${r.env.partition}:kms:${r.env.region}:${account}:key/aws-sns`;
    const target = keyId ?? topicId;
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      const use = (ctx: Record<string, string>, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
        ...base, target, expect, policies: { resourcePolicy },
        request: { principal: publisher.service, action, resource: keyArn, resourceAccount: account, context: ctx },
        description: `${publisher.path}: ${publisher.service} ${action} on the key of ${topicId}${keyId ? ` (${keyId})` : ' (alias/aws/sns)'} ${why}`,
      });
      checks.push(use(context, 'allow', `for ${publisher.source}`), use(otherAccount, 'deny', 'for another account'));
      // Cost Anomaly Detection documents its source condition on the topic only: its key statement names the account
      // alone, and its KMS requests must pass without aws:SourceArn (see encrypted-topic.ts).
      if (publisher.service === 'costalerts.amazonaws.com') {
        checks.push(use({ 'aws:SourceAccount': account }, 'allow', 'without aws:SourceArn (not documented as sent to KMS)'));
      } else {
        checks.push(use({ 'aws:SourceAccount': account }, 'deny', 'without aws:SourceArn (the policy must name the source)'));
      }
    }
  }
  return checks;
}

function invokeChecks(r: TemplateResolver, resources: NonNullable<RawTemplate['Resources']>, topicId: string, functionId: string): SignalPathCheck[] {
  const { account } = r.env;
  const functionArn = r.refOf(functionId, 'Arn');
  const statements = Object.values(resources)
    .filter((res) => res.Type === 'AWS::Lambda::Permission' && r.logicalIdOf(res.Properties?.FunctionName) === functionId)
    .map((res) => permissionStatement(r, res.Properties ?? {}, functionArn));
  const resourcePolicy = { Version: '2012-10-17', Statement: statements };
  const invoke = (ctx: Record<string, string>, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
    path: 'topic → function', source: topicId, target: functionId, expect, policies: { resourcePolicy },
    request: { principal: 'sns.amazonaws.com', action: 'lambda:InvokeFunction', resource: functionArn, resourceAccount: account, context: ctx },
    description: `topic → function: sns.amazonaws.com lambda:InvokeFunction ${functionId} ${why}`,
  });
  return [
    invoke({ 'aws:SourceArn': r.refOf(topicId), 'aws:SourceAccount': account }, 'allow', `for ${topicId}`),
    invoke({ 'aws:SourceArn': `arn:${r.env.partition}:sns:${r.env.region}:${OTHER_ACCOUNT}:other-topic`, 'aws:SourceAccount': OTHER_ACCOUNT }, 'deny', 'for another account\'s topic'),
  ];
}

// A Lambda permission as the statement Lambda adds to the function's resource policy.
function permissionStatement(r: TemplateResolver, p: Record<string, any>, functionArn: string): Record<string, any> {
  const principal = String(r.resolve(p.Principal));
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': r.resolve(p.SourceArn) };
  if (p.SourceAccount !== undefined) condition.StringEquals = { 'AWS:SourceAccount': r.resolve(p.SourceAccount) };
  return {
    Effect: 'Allow',
    Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : principal === '*' ? '*' : { AWS: principal },
    Action: r.resolve(p.Action), Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

function budgetActionChecks(r: TemplateResolver, raw: RawTemplate, id: string, p: Record<string, any>): SignalPathCheck[] {
  const resources = raw.Resources ?? {};
  const roleId = r.logicalIdOf(p.ExecutionRoleArn);
  const definition = p.Definition?.IamActionDefinition;
  if (!roleId || !definition) return [];
  const { account, partition } = r.env;
  const roleArn = r.refOf(roleId, 'Arn');
  const budget = budgetArn(r, r.resolve(p.BudgetName));
  const trust: PolicyDocument = r.resolve(resources[roleId].Properties?.AssumeRolePolicyDocument);
  const assume = (principal: string, ctx: Record<string, string>, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
    path: 'budget action → deny policy', source: id, target: roleId, expect, policies: { resourcePolicy: trust },
    request: { principal, action: 'sts:AssumeRole', resource: roleArn, resourceAccount: account, context: ctx },
    description: `budget action → deny policy: ${principal} sts:AssumeRole ${roleId} ${why}`,
  });
  const checks = [
    assume('budgets.amazonaws.com', { 'aws:SourceAccount': account, 'aws:SourceArn': `${budget}/action/${id}` }, 'allow', `for ${id}`),
    assume('budgets.amazonaws.com', { 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': `arn:${partition}:budgets::${OTHER_ACCOUNT}:budget/other` }, 'deny', 'for another account'),
  ];
  const identityPolicies = identityPoliciesOf(r, raw, roleId);
  const policyArn = String(r.resolve(definition.PolicyArn));
  for (const roleName of list(definition.Roles).map((x) => String(r.resolve(x)))) {
    const target = `arn:${partition}:iam::${account}:role/${roleName}`;
    for (const action of ['iam:AttachRolePolicy', 'iam:DetachRolePolicy']) {
      const act = (policy: string, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
        path: 'budget action → deny policy', source: id, target: roleId, expect, policies: { identityPolicies },
        request: { principal: roleArn, action, resource: target, resourceAccount: account, context: { 'iam:PolicyARN': policy } },
        description: `budget action → deny policy: ${roleId} ${action} ${why} on role ${roleName}`,
      });
      checks.push(act(policyArn, 'allow', 'the deny policy'), act(`arn:${partition}:iam::aws:policy/AdministratorAccess`, 'deny', 'another policy'));
    }
  }
  return checks;
}

function dataExportChecks(r: TemplateResolver, resources: NonNullable<RawTemplate['Resources']>, id: string, p: Record<string, any>): SignalPathCheck[] {
  const destination = p.Export?.DestinationConfigurations?.S3Destination;
  const bucketId = r.logicalIdOf(destination?.S3Bucket);
  if (!bucketId) return [];
  const { account } = r.env;
  const bucketArn = r.refOf(bucketId, 'Arn');
  const prefix = String(r.resolve(destination.S3Prefix) ?? '');
  const resourcePolicy = {
    Version: '2012-10-17',
    Statement: Object.values(resources).filter((res) => res.Type === 'AWS::S3::BucketPolicy' && r.logicalIdOf(res.Properties?.Bucket) === bucketId)
      .flatMap((res) => list(r.resolve(res.Properties?.PolicyDocument)?.Statement)),
  };
  const exportArn = r.refOf(id);
  const context = { 'aws:SourceAccount': account, 'aws:SourceArn': exportArn, 'aws:SecureTransport': 'true' };
  const write = (principal: string, action: string, resource: string, ctx: Record<string, string>, expect: 'allow' | 'deny', why: string): SignalPathCheck => ({
    path: 'data export → bucket', source: id, target: bucketId, expect, policies: { resourcePolicy },
    request: { principal, action, resource, resourceAccount: account, context: ctx },
    description: `data export → bucket: ${principal} ${action} on ${bucketId} ${why}`,
  });
  const object = `${bucketArn}/${prefix ? `${prefix}/` : ''}data/part-0.parquet`;
  return [
    write('bcm-data-exports.amazonaws.com', 's3:PutObject', object, context, 'allow', `for ${id}`),
    write('bcm-data-exports.amazonaws.com', 's3:GetBucketPolicy', bucketArn, context, 'allow', `for ${id}`),
    write('bcm-data-exports.amazonaws.com', 's3:PutObject', object,
      { ...context, 'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': exportArn.replace(`:${account}:`, `:${OTHER_ACCOUNT}:`) }, 'deny', 'for another account'),
    write('bcm-data-exports.amazonaws.com', 's3:PutObject', object, { ...context, 'aws:SecureTransport': 'false' }, 'deny', 'without TLS'),
    write('events.amazonaws.com', 's3:PutObject', object, context, 'deny', 'by another service'),
    write('bcm-data-exports.amazonaws.com', 's3:DeleteObject', object, context, 'deny', '(an action it does not need)'),
  ];
}

function budgetArn(r: TemplateResolver, name: unknown): string {
  return `arn:${r.env.partition}:budgets::${r.env.account}:budget/${String(name)}`;
}

function rawTemplateOf(template: RawTemplate | TemplateModel): RawTemplate {
  if ('ofType' in template) {
    return { Resources: Object.fromEntries(template.resources.map((res) => [res.logicalId, { Type: res.type, Properties: res.properties }])) };
  }
  return template;
}

function list(value: unknown): any[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}
