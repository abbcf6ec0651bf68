import { ENV } from '../../shared/contract';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HANDLER_RUNTIME } from '../private/bundled-handler';
import { acknowledgeWildcardResource } from '../private/nag-acknowledgements';
import { estimatedEnvironmentBytes, LAMBDA_ENVIRONMENT_LIMIT } from './environment-size';
import { genAiTagsEnvironmentValue } from './genai-tags-environment';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link GenAiFunction}. */
export interface GenAiFunctionProps {
  /** The function's code. */
  readonly code: lambda.Code;
  /** The handler, e.g. `index.handler`. */
  readonly handler: string;
  /**
   * Memory in MB. GenAI handlers wait on Bedrock and are I/O-bound, so more memory mostly adds cost.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout. Model calls take seconds to tens of seconds.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency, a hard ceiling on parallel model calls from this function.
   * @default - no reservation (account concurrency)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Environment variables, added to the GenAI defaults.
   * @default - only the defaults
   */
  readonly environment?: { [key: string]: string };
  /**
   * A description of the function.
   * @default - none
   */
  readonly description?: string;
}

/**
 * A Lambda function with the defaults a Bedrock-calling handler wants: the newest Node.js runtime on arm64,
 * 256 MB, X-Ray active tracing, structured JSON logs in a log group with retention, a dead-letter
 * queue for asynchronous invocations, and the GenAI tags of its scope in its environment (`GENAI_TAGS`) so that
 * runtime metrics and logs carry the same attribution as the bill.
 */
export class GenAiFunction extends Construct {
  /** The Lambda function. */
  public readonly function: lambda.Function;
  /** The function's execution role. */
  public readonly role: iam.IRole;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** Where failed asynchronous invocations land after Lambda's retries. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: GenAiFunctionProps) {
    super(scope, id);
    checkProps(this, 'GenAiFunctionProps', props, GEN_AI_FUNCTION_PROP_KINDS);
    validateProps(this, props);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An explicit role with write access to this log group only, instead of the AWSLambdaBasicExecutionRole
    // managed policy (logs on every group in the account).
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.function = new lambda.Function(this, 'Resource', {
      code: props.code,
      handler: props.handler,
      description: props.description,
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        [ENV.tags]: genAiTagsEnvironmentValue(() => this.function),
        ...props.environment,
      },
    });
    const environment = this.function.node.defaultChild as lambda.CfnFunction;
    this.node.addValidation({
      validate: () => {
        const variables = (Stack.of(this).resolve(environment.environment) as { variables?: Record<string, string> } | undefined)?.variables ?? {};
        const bytes = estimatedEnvironmentBytes(this, variables);
        return bytes <= LAMBDA_ENVIRONMENT_LIMIT ? [] : [
          `${this.node.path}: the function's environment would take about ${bytes} bytes once deployed; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT}. ` +
          'Fix: shorten systemPrompt or modelPrices (send long instructions with each request instead), or fewer environment variables.',
        ];
      },
    });
    acknowledgeWildcardResource(role, '*', 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; Lambda active tracing needs them on *.');
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the function\'s asynchronous invocations.',
    });
  }
}

function validateProps(scope: Construct, props: GenAiFunctionProps): void {
  const memory = props.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && (memory < 128 || memory > 10240 || !Number.isInteger(memory))) {
    throw new Error(`${scope.node.path}: memorySize is ${memory}; Lambda accepts whole MB from 128 to 10240. Fix: use 256 (the default) unless the handler is CPU-bound.`);
  }
  const timeout = props.timeout;
  if (timeout !== undefined && !timeout.isUnresolved() && timeout.toSeconds() > 900) {
    throw new Error(`${scope.node.path}: timeout is ${timeout.toSeconds()} seconds; Lambda allows at most 900. Fix: use Duration.minutes(15) or less.`);
  }
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && (reserved < 0 || !Number.isInteger(reserved))) {
    throw new Error(`${scope.node.path}: reservedConcurrentExecutions is ${reserved}. Fix: use a whole number of at least 0 (0 stops the function), or leave it out.`);
  }
}

// The known keys of GenAiFunctionProps and what each holds (lib/private/prop-check.ts).
const GEN_AI_FUNCTION_PROP_KINDS = {
  code: 'object',
  handler: 'string',
  environment: 'string-map',
  memorySize: 'number',
  timeout: 'object',
  reservedConcurrentExecutions: 'number',
  logRetention: 'number',
  description: 'string',
} as const satisfies PropKinds<GenAiFunctionProps>;
