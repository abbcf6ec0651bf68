import { judgeSignalPaths } from './signal-paths';
import { allowsBedrockInvoke, flatten, tagsOf, TemplateModel, TemplateResource } from './template-model';

/** One finding of a rule: the resource and what is wrong with it. */
export interface RuleFinding {
  readonly logicalId: string;
  readonly detail: string;
}

/** A FinOps rule over a synthesized template. */
export interface FinOpsRule {
  /** Stable id, used to acknowledge a finding: `Validations.of(scope).acknowledge({ id, reason })`. */
  readonly id: string;
  readonly title: string;
  /** What to change, and which construct of this library does it. */
  readonly fix: string;
  readonly severity: 'error' | 'warning';
  check(template: TemplateModel): RuleFinding[];
}

/** The GenAI tags every Bedrock-spending resource should carry (the article's schema). */
export const REQUIRED_GENAI_TAGS: ReadonlyArray<string> = ['Environment', 'Application', 'Feature', 'Team', 'CostCenter'];
const PROFILE = 'AWS::Bedrock::ApplicationInferenceProfile';
/** Above this, a function that mostly waits on Bedrock pays for memory it does not use. */
const IO_BOUND_MEMORY_MB = 1024;

/** Roles whose policies allow invoking Bedrock, by logical id. */
export function bedrockRoles(t: TemplateModel): Set<string> {
  return new Set(t.statements.filter(allowsBedrockInvoke).flatMap((s) => s.roles));
}

/** What spends on Bedrock in a template: its application inference profiles, and the roles that can invoke Bedrock. */
export function bedrockSpenders(t: TemplateModel): TemplateResource[] {
  const roles = bedrockRoles(t);
  return [...t.ofType(PROFILE), ...t.ofType('AWS::IAM::Role').filter((r) => roles.has(r.logicalId))];
}

/** The Lambda functions that run as one of `roles`. */
function functionsOf(t: TemplateModel, roles: Set<string>): TemplateResource[] {
  return t.ofType('AWS::Lambda::Function').filter((f) => {
    const role = f.properties.Role;
    const ref = role?.['Fn::GetAtt']?.[0] ?? role?.Ref;
    return typeof ref === 'string' && roles.has(ref);
  });
}

// The base model id an ARN names (a foundation model, or a system profile with its geography prefix removed).
function modelOfArn(arn: string): string {
  const match = /(?:foundation-model|inference-profile)\/(?:(?:us|us-gov|eu|apac|jp|au|ca|global)\.)?([^/]+)$/.exec(arn);
  return match ? match[1] : '';
}

function missingTags(resource: TemplateResource): string[] {
  const tags = tagsOf(resource);
  return REQUIRED_GENAI_TAGS.filter((k) => tags[k] === undefined || tags[k] === '');
}

/** The rule pack. Ids are stable: renaming one would un-acknowledge every finding of it. */
export const FINOPS_RULES: ReadonlyArray<FinOpsRule> = [
  {
    id: 'GenAIFinOps-IAM1',
    title: 'Bedrock invoke allowed on every resource, or every Bedrock action allowed',
    fix: 'Grant bedrock:InvokeModel on the model or inference-profile ARNs the code calls: GenAiInferenceProfile.grantInvoke(role) does, with the foundation model allowed only through the profile.',
    severity: 'error',
    check: (t) => t.statements
      .filter((s) => s.effect === 'Allow' && (s.actions.some((a) => a === 'bedrock:*' || a === '*')
        || (allowsBedrockInvoke(s) && s.resources.some((r) => flatten(r) === '*'))))
      .map((s) => ({ logicalId: s.policyId, detail: `${s.actions.join(', ')} on ${s.resources.map(flatten).join(', ')}` })),
  },
  {
    id: 'GenAIFinOps-TAG1',
    title: 'A role that can invoke Bedrock lacks the GenAI tags',
    fix: `Tag the role with ${REQUIRED_GENAI_TAGS.join(', ')}: Bedrock attributes each call to the role that made it (CUR line_item_iam_principal). GenAiTags.apply(scope, {...}) tags every resource under a scope; the workflows do it for their own.`,
    severity: 'warning',
    check: (t) => bedrockSpenders(t).filter((r) => r.type === 'AWS::IAM::Role')
      .map((r) => ({ r, missing: missingTags(r) })).filter(({ missing }) => missing.length > 0)
      .map(({ r, missing }) => ({ logicalId: r.logicalId, detail: `missing ${missing.join(', ')}` })),
  },
  {
    id: 'GenAIFinOps-TAG2',
    title: 'An application inference profile without the GenAI tags',
    fix: 'Tag the profile: its tags are what reach the bill. GenAiInferenceProfile carries ModelProvider and Model, and inherits the rest from GenAiTags.apply.',
    severity: 'error',
    check: (t) => t.ofType(PROFILE).map((r) => ({ r, missing: missingTags(r) })).filter(({ missing }) => missing.length > 0)
      .map(({ r, missing }) => ({ logicalId: r.logicalId, detail: `missing ${missing.join(', ')}` })),
  },
  {
    id: 'GenAIFinOps-BUD1',
    title: 'Bedrock is used but no budget covers the Application tag',
    fix: 'Add an AWS Budgets budget filtered by the Application cost allocation tag (not by service: Marketplace models bill under their own service names): GenAiBudgets does, with alerts at 80 % and 100 % and a Budgets action as backstop.',
    severity: 'warning',
    check: (t) => {
      const spenders = bedrockSpenders(t);
      const applications = new Set(spenders.map((r) => tagsOf(r).Application).filter((a): a is string => typeof a === 'string'));
      const budgets = t.ofType('AWS::Budgets::Budget').map((b) => JSON.stringify(b.properties));
      return [...applications].filter((app) => !budgets.some((b) => b.includes('Application') && b.includes(app)))
        .map((app) => ({ logicalId: spenders.find((r) => tagsOf(r).Application === app)!.logicalId, detail: `no budget filters on Application=${app}` }));
    },
  },
  {
    id: 'GenAIFinOps-CACHE1',
    title: 'A cache table without TTL',
    fix: 'Enable TimeToLiveSpecification on the expiry attribute, so stale answers expire and storage stays bounded: ResponseCacheTable and EmbeddingCache do (attribute expiresAt).',
    severity: 'warning',
    check: (t) => t.resources
      .filter((r) => r.type === 'AWS::DynamoDB::Table' || r.type === 'AWS::DynamoDB::GlobalTable')
      .filter((r) => /cache/i.test(r.logicalId) || JSON.stringify(r.properties.KeySchema ?? '').includes('cacheKey'))
      .filter((r) => r.properties.TimeToLiveSpecification?.Enabled !== true)
      .map((r) => ({ logicalId: r.logicalId, detail: 'no TimeToLiveSpecification' })),
  },
  {
    id: 'GenAIFinOps-LMB1',
    title: 'A Bedrock-invoking Lambda with oversized memory for I/O-bound work',
    fix: `Give it ${IO_BOUND_MEMORY_MB} MB or less: it spends its time waiting on Bedrock, and Lambda bills memory × duration. GenAiFunction defaults to 256 MB.`,
    severity: 'warning',
    check: (t) => functionsOf(t, bedrockRoles(t)).filter((f) => Number(f.properties.MemorySize ?? 128) > IO_BOUND_MEMORY_MB)
      .map((f) => ({ logicalId: f.logicalId, detail: `MemorySize ${f.properties.MemorySize} MB` })),
  },
  {
    id: 'GenAIFinOps-LOG1',
    title: 'Logs kept forever',
    fix: 'Set a retention on every log group (and give each function a log group of its own with one): logs with token counts grow with traffic. GenAiFunction keeps one month by default.',
    severity: 'warning',
    check: (t) => {
      const groups = t.ofType('AWS::Logs::LogGroup').filter((g) => g.properties.RetentionInDays === undefined)
        .map((g) => ({ logicalId: g.logicalId, detail: 'no RetentionInDays' }));
      const retained = new Set(t.ofType('Custom::LogRetention').map((r) => flatten(r.properties.LogGroupName)));
      const functions = t.ofType('AWS::Lambda::Function')
        .filter((f) => f.properties.LoggingConfig?.LogGroup === undefined && ![...retained].some((name) => name.includes(f.logicalId)))
        .map((f) => ({ logicalId: f.logicalId, detail: 'writes to an automatic log group with no retention' }));
      return [...groups, ...functions];
    },
  },
  {
    id: 'GenAIFinOps-PROF1',
    title: 'A foundation model invoked directly where a tagged profile exists',
    fix: 'Invoke through the application inference profile, and allow the foundation model only under the condition bedrock:InferenceProfileArn: GenAiInferenceProfile.grantInvoke does. Calls made to the model directly carry none of the profile\'s tags to the bill.',
    severity: 'warning',
    check: (t) => {
      // The models some profile of the template copies from: only those have a tagged way in.
      const profiled = new Set(t.ofType(PROFILE).map((p) => modelOfArn(flatten(p.properties.ModelSource?.CopyFrom))).filter((m) => m !== ''));
      if (profiled.size === 0) return [];
      // Batch inference cannot run on an application profile (the job is tagged instead): its service role, which
      // Bedrock assumes, and the right to create jobs are not direct invocations of this kind.
      const batchRoles = new Set(t.ofType('AWS::IAM::Role').filter((r) => JSON.stringify(r.properties.AssumeRolePolicyDocument ?? {}).includes('bedrock.amazonaws.com')).map((r) => r.logicalId));
      return t.statements
        .filter((s) => s.roles.length === 0 || !s.roles.every((role) => batchRoles.has(role)))
        .filter((s) => s.actions.some((a) => a !== 'bedrock:CreateModelInvocationJob'))
        .filter((s) => allowsBedrockInvoke(s) && !JSON.stringify(s.condition ?? {}).includes('bedrock:InferenceProfileArn'))
        .map((s) => ({ s, direct: s.resources.map(flatten).filter((r) => r.includes(':foundation-model/') && profiled.has(modelOfArn(r))) }))
        .filter(({ direct }) => direct.length > 0)
        .map(({ s, direct }) => ({ logicalId: s.policyId, detail: `${direct.join(', ')} without bedrock:InferenceProfileArn` }));
    },
  },
  {
    id: 'GenAIFinOps-SIG1',
    title: 'A signal the guardrails rely on is refused by a resource or key policy',
    fix: 'Let the sending service in, for this account only: a topic policy (and, for an encrypted topic, the key policy) must allow cloudwatch.amazonaws.com, budgets.amazonaws.com or costalerts.amazonaws.com to sns:Publish (kms:GenerateDataKey*, kms:Decrypt) with aws:SourceAccount and aws:SourceArn conditions; a function must let sns.amazonaws.com invoke it for the topic. A topic policy (enforceSSL creates one) replaces SNS\'s default. GenAiAlarms, CircuitBreaker, GenAiBudgets and CostAnomalyMonitor write these policies.',
    severity: 'error',
    check: (t) => {
      // One finding per refusing resource, naming the first refused request and how many more it refuses.
      const refused = judgeSignalPaths(t).filter((c) => c.expect === 'allow' && !c.ok);
      return [...new Set(refused.map((c) => c.target))].map((target) => {
        const mine = refused.filter((c) => c.target === target);
        return { logicalId: target, detail: `${mine[0].description}: ${mine[0].decision}${mine.length > 1 ? ` (and ${mine.length - 1} more requests)` : ''}` };
      });
    },
  },
];
