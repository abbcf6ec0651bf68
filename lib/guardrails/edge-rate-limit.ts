import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { checkProps, PropKinds } from '../private/prop-check';

/** How far back AWS WAF counts a client's requests. */
export enum EdgeRateLimitWindow {
  ONE_MINUTE = 60,
  TWO_MINUTES = 120,
  FIVE_MINUTES = 300,
  TEN_MINUTES = 600,
}

/** Properties of an {@link EdgeRateLimit}. */
export interface EdgeRateLimitProps {
  /**
   * Requests one client IP may make in the evaluation window; further requests get 429 until its rate falls.
   * AWS WAF's minimum is 10.
   * @default 300
   */
  readonly limit?: number;
  /**
   * The evaluation window.
   * @default EdgeRateLimitWindow.FIVE_MINUTES
   */
  readonly evaluationWindow?: EdgeRateLimitWindow;
  /**
   * Write the web ACL's request logs to CloudWatch Logs (a log group named `aws-waf-logs-…`).
   * @default false
   */
  readonly logging?: boolean;
  /**
   * How long the request logs are kept, with `logging`.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

// AWS WAF: rate limits from 10 to 2,000,000,000 requests per window.
const MIN_LIMIT = 10;
const MAX_LIMIT = 2_000_000_000;

/**
 * An AWS WAF web ACL (REGIONAL) with one rate-based rule per client IP, for the API workflow's stage.
 *
 * It stops one address from spending the Bedrock budget before a request reaches API Gateway or Lambda: over the
 * limit, WAF answers 429 itself. CloudWatch metrics and sampled requests are on; request logs are optional.
 * Not created by default because it costs money every month: $5 per web ACL, $1 per rule and $0.60 per million
 * requests (AWS WAF pricing), plus CloudWatch Logs ingestion with `logging`. One instance can protect several
 * APIs in the same stack and Region: the web ACL and rule are billed once.
 */
export class EdgeRateLimit extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** The request log group, with `logging`. */
  public readonly logGroup?: logs.LogGroup;
  /** Requests per client IP per evaluation window. */
  public readonly limit: number;
  /** The evaluation window in seconds. */
  public readonly evaluationWindowSeconds: number;
  /** The CloudWatch metric name of the rate-based rule (namespace AWS/WAFV2, dimension Rule). */
  public readonly ruleMetricName: string;

  constructor(scope: Construct, id: string, props: EdgeRateLimitProps = {}) {
    super(scope, id);
    checkProps(this, 'EdgeRateLimitProps', props, EDGE_RATE_LIMIT_PROP_KINDS);
    this.limit = props.limit ?? 300;
    this.evaluationWindowSeconds = props.evaluationWindow ?? EdgeRateLimitWindow.FIVE_MINUTES;
    validateEdgeProps(this, this.limit, this.evaluationWindowSeconds);
    const metricPrefix = `genai-${this.node.addr.slice(0, 12)}`;
    this.ruleMetricName = `${metricPrefix}-per-ip`;

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      description: `GenAI API edge rate limit ${this.node.path}`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: metricPrefix },
      rules: [{
        name: 'RateLimitPerClientIp',
        priority: 0,
        action: { block: { customResponse: { responseCode: 429 } } },
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: this.limit,
            evaluationWindowSec: this.evaluationWindowSeconds,
          },
        },
        visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: this.ruleMetricName },
      }],
    });

    if (props.logging) {
      this.logGroup = new logs.LogGroup(this, 'Logs', {
        // WAF delivers only to log groups whose name starts with aws-waf-logs-.
        logGroupName: `aws-waf-logs-${Stack.of(this).stackName}-${this.node.addr.slice(0, 8)}`,
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      new wafv2.CfnLoggingConfiguration(this, 'Logging', {
        resourceArn: this.webAcl.attrArn,
        logDestinationConfigs: [this.logGroup.logGroupArn],
      });
    }
  }

  /**
   * Put an API Gateway stage behind this web ACL. A stage has at most one web ACL.
   * @returns the association, created under the stage
   */
  public associate(stage: apigw.Stage): wafv2.CfnWebACLAssociation {
    if (stage.node.tryFindChild('WebAclAssociation')) {
      throw new Error(`${this.node.path}: stage ${stage.node.path} already has a web ACL; API Gateway accepts one per stage. Fix: associate a single EdgeRateLimit with it.`);
    }
    if (Stack.of(stage) !== Stack.of(this)) {
      throw new Error(`${this.node.path}: stage ${stage.node.path} is in stack ${Stack.of(stage).stackName}, the web ACL in ${Stack.of(this).stackName}. Fix: create the EdgeRateLimit in the API's stack.`);
    }
    return new wafv2.CfnWebACLAssociation(stage, 'WebAclAssociation', {
      resourceArn: stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

function validateEdgeProps(scope: Construct, limit: number, window: number): void {
  if (!Token.isUnresolved(limit) && (!Number.isInteger(limit) || limit < MIN_LIMIT || limit > MAX_LIMIT)) {
    throw new Error(`${scope.node.path}: limit is ${limit}; AWS WAF accepts whole numbers from ${MIN_LIMIT} to ${MAX_LIMIT} requests per window. Fix: use e.g. 300, or leave it out for the default.`);
  }
  if (!Token.isUnresolved(window) && !Object.values(EdgeRateLimitWindow).includes(window)) {
    throw new Error(`${scope.node.path}: evaluationWindow is ${window} seconds; AWS WAF accepts 60, 120, 300 or 600. Fix: use an EdgeRateLimitWindow value.`);
  }
}

// The known keys of EdgeRateLimitProps and what each holds (lib/private/prop-check.ts).
const EDGE_RATE_LIMIT_PROP_KINDS = {
  limit: 'number',
  evaluationWindow: 'number',
  logging: 'boolean',
  logRetention: 'number',
} as const satisfies PropKinds<EdgeRateLimitProps>;
