/**
 * Resolves a synthesized template's intrinsic functions to the values its resources would have when deployed in one
 * fixed account and Region: the one resolver of the project, serving both the policy evaluation of `assess` and the
 * rule pack (lenient, in {@link EVALUATION_ENVIRONMENT}) and the local tools of `local/template` (strict, in their
 * local account). Pure (no aws-cdk-lib, constructs or SDK): the library ships it.
 *
 * A `Ref` is what CloudFormation returns for the type: the physical name where the template sets one (TableName,
 * BucketName, TopicName, ...), else the logical id (lower-cased for a bucket, as S3 refuses capitals), except
 * where CloudFormation returns an ARN (topic, managed policy, anomaly monitor and subscription, data export) or a URL
 * (queue). `Fn::GetAtt` of an ARN attribute is the ARN in the environment. The names differ from a real deployment,
 * but every reference to a resource resolves to the same value, which is all a policy evaluation or a local run
 * needs. Every resource a value refers to is recorded, so that a local caller can create the tables and buckets an
 * environment names.
 */

/** Where the template is deemed deployed. */
export interface DeploymentEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** The environment policies are evaluated in unless told otherwise: an example account in us-east-1. */
export const EVALUATION_ENVIRONMENT: DeploymentEnvironment = Object.freeze({ account: '123456789012', region: 'us-east-1', partition: 'aws' });

/** A value the template does not define well enough to resolve (strict mode); the message says which and why. */
export class TemplateError extends Error {}

/** The parts of a template the resolver reads. */
export interface ResolvableTemplate {
  readonly Resources?: Readonly<Record<string, { readonly Type?: string; readonly Properties?: Record<string, any> }>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Mappings?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
}

/** How to resolve. */
export interface ResolverOptions {
  /** @default EVALUATION_ENVIRONMENT.account */
  readonly account?: string;
  /** @default EVALUATION_ENVIRONMENT.region */
  readonly region?: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** AWS::StackName. @default 'Stack' */
  readonly stackName?: string;
  /**
   * Whether a value that cannot be resolved (a missing resource, parameter default, condition or mapping entry, an
   * `Fn::ImportValue`, a name that is not a string) throws a {@link TemplateError}. The local tools want the error:
   * a function must not run with a made-up environment. The policy evaluation wants a stand-in (the logical id, the
   * intrinsic left as it is): it judges any template `assess` is given, and one unresolvable value must not stop the
   * judgement of the others.
   * @default false
   */
  readonly strict?: boolean;
}

// The property that names a resource, by type (CloudFormation's "physical name"), as a path into its properties.
const NAME_PROPERTY: Readonly<Record<string, readonly string[]>> = {
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::DynamoDB::GlobalTable': ['TableName'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::Events::Rule': ['Name'],
  'AWS::Events::EventBus': ['Name'],
  'AWS::StepFunctions::StateMachine': ['StateMachineName'],
  'AWS::Bedrock::ApplicationInferenceProfile': ['InferenceProfileName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::CloudWatch::CompositeAlarm': ['AlarmName'],
  'AWS::Budgets::Budget': ['Budget', 'BudgetName'],
  'AWS::BCMDataExports::Export': ['Export', 'Name'],
};

/** `Ref: AWS::NoValue`: the property or list item is left out. */
const NO_VALUE = Symbol('AWS::NoValue');

/** The resolver of one template in one environment. */
export class TemplateResolver {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
  readonly strict: boolean;
  /** Logical ids of the resources the values resolved so far refer to (Ref, GetAtt, Sub), in first-use order. */
  readonly referenced = new Set<string>();
  private readonly naming = new Set<string>();
  private readonly trackers: Array<Set<string>> = [];
  // A template's policies are asked about once per path through them: each object is resolved once, and what it
  // referred to is replayed to the trackers on a later use.
  private readonly resolvedObjects = new WeakMap<object, { readonly value: unknown; readonly referenced: readonly string[] }>();

  constructor(readonly template: ResolvableTemplate, options: ResolverOptions = {}) {
    this.account = options.account ?? EVALUATION_ENVIRONMENT.account;
    this.region = options.region ?? EVALUATION_ENVIRONMENT.region;
    this.partition = options.partition ?? EVALUATION_ENVIRONMENT.partition;
    this.stackName = options.stackName ?? 'Stack';
    this.strict = options.strict ?? false;
  }

  /** The account, Region and partition the template is resolved in. */
  get env(): DeploymentEnvironment {
    return { account: this.account, region: this.region, partition: this.partition };
  }

  /** The value with every intrinsic function resolved (`AWS::NoValue` entries dropped, undefined at the top). */
  resolve(value: unknown): any {
    const resolved = this.resolveOrNoValue(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Runs `work` (resolutions) and returns its result with the logical ids of the resources it referred to. */
  tracking<T>(work: () => T): { readonly result: T; readonly referenced: string[] } {
    const tracker = new Set<string>();
    this.trackers.push(tracker);
    try {
      return { result: work(), referenced: [...tracker] };
    } finally {
      this.trackers.splice(this.trackers.indexOf(tracker), 1);
    }
  }

  /** The value resolved to a string (a number or boolean as its text). */
  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateError(`${where} resolves to ${JSON.stringify(resolved)}, not a string.`);
  }

  /** A resource's physical name: the name its properties set, else its logical id (lower-cased for a bucket). */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const fallback = resource?.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
    const path = NAME_PROPERTY[String(resource?.Type)];
    const named = path?.reduce<any>((at, key) => at?.[key], resource?.Properties);
    if (named === undefined) return fallback;
    if (this.naming.has(logicalId)) return this.fail(`the name of ${logicalId} refers to itself.`, fallback);
    this.naming.add(logicalId);
    try {
      const where = `${logicalId}.${path.join('.')}`;
      if (this.strict) return this.resolveString(named, where);
      const resolved = this.resolve(named);
      return typeof resolved === 'string' ? resolved : fallback;
    } finally {
      this.naming.delete(logicalId);
    }
  }

  /** What `Ref` returns for the resource, as CloudFormation returns it for its type; its attribute when given. */
  refOf(logicalId: string, attribute?: string): string {
    if (attribute) return this.attributeOf(logicalId, attribute);
    const type = this.resource(logicalId)?.Type;
    switch (type) {
      case 'AWS::SNS::Topic':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::CE::AnomalySubscription':
      case 'AWS::CE::AnomalyMonitor':
      case 'AWS::BCMDataExports::Export':
        return this.arnOf(logicalId);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${this.physicalName(logicalId)}`;
      default:
        return this.physicalName(logicalId);
    }
  }

  /** The resource's ARN in the environment. */
  arnOf(logicalId: string): string {
    const type = String(this.resource(logicalId)?.Type);
    const name = this.physicalName(logicalId);
    const { region, account, partition } = this;
    const arn = (service: string, resource: string, inRegion = region) => `arn:${partition}:${service}:${inRegion}:${account}:${resource}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': return arn('dynamodb', `table/${name}`);
      case 'AWS::S3::Bucket': return `arn:${partition}:s3:::${name}`;
      case 'AWS::SNS::Topic': return arn('sns', name);
      case 'AWS::SQS::Queue': return arn('sqs', name);
      case 'AWS::Lambda::Function': return arn('lambda', `function:${name}`);
      case 'AWS::IAM::Role': return arn('iam', `role/${name}`, '');
      case 'AWS::IAM::ManagedPolicy': return arn('iam', `policy/${name}`, '');
      case 'AWS::Logs::LogGroup': return arn('logs', `log-group:${name}:*`);
      case 'AWS::KMS::Key': return arn('kms', `key/${name}`);
      case 'AWS::StepFunctions::StateMachine': return arn('states', `stateMachine:${name}`);
      case 'AWS::Events::Rule': return arn('events', `rule/${name}`);
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm': return arn('cloudwatch', `alarm:${name}`);
      // Cost Explorer is global: its ARNs name no Region.
      case 'AWS::CE::AnomalySubscription': return arn('ce', `anomalysubscription/${logicalId}`, '');
      case 'AWS::CE::AnomalyMonitor': return arn('ce', `anomalymonitor/${logicalId}`, '');
      // Data exports live in us-east-1 whatever the stack's Region.
      case 'AWS::BCMDataExports::Export': return arn('bcm-data-exports', `export/${name}`, 'us-east-1');
      // Profile ids are lower-case alphanumerics.
      case 'AWS::Bedrock::ApplicationInferenceProfile': return arn('bedrock', `application-inference-profile/${name.toLowerCase().replace(/[^a-z0-9]/g, '')}`);
      default: {
        const [, service = 'unknown', kind = 'resource'] = type.split('::');
        return arn(service.toLowerCase(), `${kind.toLowerCase()}/${name}`);
      }
    }
  }

  /** What `Fn::GetAtt` returns: an ARN for ARN attributes, the name, URL or id for the common others. */
  attributeOf(logicalId: string, attribute: string): string {
    const type = this.resource(logicalId)?.Type;
    if (type === 'AWS::DynamoDB::Table' && attribute === 'StreamArn') return `${this.arnOf(logicalId)}/stream/local`;
    if (attribute === 'Arn' || attribute.endsWith('Arn')) return this.arnOf(logicalId);
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return this.refOf(logicalId);
    if (type === 'AWS::S3::Bucket' && attribute === 'DomainName') return `${this.physicalName(logicalId)}.s3.amazonaws.com`;
    if (type === 'AWS::S3::Bucket' && attribute === 'RegionalDomainName') return `${this.physicalName(logicalId)}.s3.${this.region}.amazonaws.com`;
    // A role id is not its name: IAM gives it an AROA prefix, and policies compare it with aws:userid.
    if (type === 'AWS::IAM::Role' && attribute === 'RoleId') return `AROA${logicalId}`;
    if (attribute.endsWith('Name') || attribute.endsWith('Id')) return this.physicalName(logicalId);
    // Not an attribute a policy or a function's environment is expected to carry: a recognisable placeholder.
    return `${logicalId}.${attribute}`;
  }

  /** The logical id of the template resource an intrinsic refers to (`Ref` or `Fn::GetAtt`), if any. */
  logicalIdOf(value: unknown): string | undefined {
    if (!value || typeof value !== 'object') return undefined;
    const node = value as Record<string, any>;
    const getAtt = node['Fn::GetAtt'];
    const id = typeof node.Ref === 'string' ? node.Ref
      : getAtt !== undefined ? (typeof getAtt === 'string' ? getAtt.split('.') : getAtt)[0] : undefined;
    return id !== undefined && this.template.Resources?.[id] !== undefined ? id : undefined;
  }

  private resolveOrNoValue(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    const cached = this.resolvedObjects.get(value);
    if (cached) {
      for (const id of cached.referenced) this.note(id);
      return cached.value;
    }
    const { result, referenced } = this.tracking(() => this.resolveObject(value));
    this.resolvedObjects.set(value, { value: result, referenced });
    return result;
  }

  private resolveObject(value: object): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolveOrNoValue(v)).filter((v) => v !== NO_VALUE);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      if (key === 'Ref') return this.ref(String(arg));
      // `Condition` alone with a name is the condition's value; with an object it is, e.g., a policy statement's.
      const intrinsic = key.startsWith('Fn::') || (key === 'Condition' && typeof arg === 'string');
      if (intrinsic && (this.strict || KNOWN_INTRINSICS.has(key))) return this.intrinsic(key, arg);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries) {
      const resolved = this.resolveOrNoValue(v);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  /** Throws in strict mode; else the stand-in. */
  private fail<T>(message: string, standIn: T): T {
    if (this.strict) throw new TemplateError(message);
    return standIn;
  }

  private resource(logicalId: string) {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) return this.fail(`the template has no resource ${logicalId}.`, undefined);
    this.note(logicalId);
    return resource;
  }

  private note(logicalId: string): void {
    this.referenced.add(logicalId);
    for (const tracker of this.trackers) tracker.add(logicalId);
  }

  private ref(name: string): unknown {
    switch (name) {
      case 'AWS::Region': return this.region;
      case 'AWS::AccountId': return this.account;
      case 'AWS::Partition': return this.partition;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
      case 'AWS::StackId': return `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/id`;
      case 'AWS::NotificationARNs': return [];
      case 'AWS::NoValue': return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) return this.fail(`parameter ${name} has no default value to use locally.`, name);
      return parameter.Default;
    }
    return this.refOf(name);
  }

  private intrinsic(fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Fn::GetAtt': {
        const [id, ...attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.attributeOf(id, attribute.join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const list = this.resolve(parts);
        if (!Array.isArray(list)) return this.fail(`Fn::Join of ${JSON.stringify(parts)}: not a list.`, String(list));
        return list.map((p) => String(p)).join(separator);
      }
      case 'Fn::Sub': return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolve(list);
        const i = Number(this.resolve(index));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) return this.fail(`Fn::Select index ${i} out of ${JSON.stringify(items)}.`, undefined);
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return String(this.resolve(source)).split(separator);
      }
      case 'Fn::Base64': return Buffer.from(String(this.resolve(arg)), 'utf8').toString('base64');
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => String(this.resolve(a)));
        const value = this.template.Mappings?.[map]?.[top]?.[second];
        if (value === undefined) return this.fail(`Fn::FindInMap: mapping ${map} has no ${top}.${second}.`, undefined);
        return value;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.resolveOrNoValue(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((v) => this.resolve(v));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not': return !this.truthy((arg as unknown[])[0]);
      case 'Fn::And': return (arg as unknown[]).every((c) => this.truthy(c));
      case 'Fn::Or': return (arg as unknown[]).some((c) => this.truthy(c));
      case 'Condition': return this.condition(String(arg));
      case 'Fn::ImportValue':
        throw new TemplateError(`Fn::ImportValue ${JSON.stringify(arg)}: a value exported by another stack cannot be resolved from this template alone.`);
      default:
        throw new TemplateError(`${fn} is not an intrinsic function the local tools resolve.`);
    }
  }

  private truthy(value: unknown): boolean {
    const resolved = this.resolve(value);
    return resolved === true || resolved === 'true';
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) return this.fail(`the template has no condition ${name}.`, false);
    return this.truthy(definition);
  }

  private sub(arg: unknown): string {
    const [text, variables] = Array.isArray(arg) ? arg as [string, Record<string, unknown>] : [String(arg), {}];
    return String(text).replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (variables && name in variables) return String(this.resolve(variables[name]));
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.attributeOf(name.slice(0, dot), name.slice(dot + 1));
      return String(this.ref(name));
    }).replace(/\$\{!/g, '${');
  }
}

// The intrinsics a lenient resolver evaluates; any other (Fn::ImportValue, Fn::Transform, ...) is left as it is.
const KNOWN_INTRINSICS = new Set(['Fn::GetAtt', 'Fn::Join', 'Fn::Sub', 'Fn::Select', 'Fn::Split', 'Fn::Base64', 'Fn::GetAZs',
  'Fn::FindInMap', 'Fn::If', 'Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or', 'Condition']);

/** A lenient resolver for `template` as deployed in `env`: the one the policy evaluation uses. */
export function templateResolver(template: ResolvableTemplate, env: DeploymentEnvironment = EVALUATION_ENVIRONMENT): TemplateResolver {
  return new TemplateResolver(template, { ...env, strict: false });
}
