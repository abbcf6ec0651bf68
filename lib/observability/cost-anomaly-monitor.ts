import { Annotations, Names, Token } from 'aws-cdk-lib';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { GenAiTagKey } from '../tagging/genai-tag-keys';
import { allowServiceToPublish, allowServiceToUseKey, encryptedTopic, TopicPublisher, topicKey, validateEmails } from '../private/encrypted-topic';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of a {@link CostAnomalyMonitor}. */
export interface CostAnomalyMonitorProps {
  /**
   * The values of the Application cost allocation tag to watch: the monitor covers the spend of resources
   * carrying one of them (the workflows' inference profiles, functions, tables). The tag must be activated as a
   * cost allocation tag in the Billing console.
   * @default - required unless monitorSpecification is given
   */
  readonly applications?: string[];
  /**
   * A Cost Explorer expression (JSON) that selects the spend to watch instead of the Application tag, e.g.
   * `{"Dimensions":{"Key":"SERVICE","Values":["Amazon Bedrock"]}}`.
   * @default - the Application tag with the values of `applications`
   */
  readonly monitorSpecification?: string;
  /**
   * The total impact, in USD, from which an anomaly is notified.
   * @default 10
   */
  readonly thresholdUsd?: number;
  /**
   * The topic the anomalies are published to, at once (IMMEDIATE notifications go to SNS only, not email).
   * @default - a new topic encrypted with a new KMS key that Cost Anomaly Detection may use
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses to subscribe to the topic (each confirms by email).
   * @default - none
   */
  readonly emailSubscriptions?: string[];
  /**
   * The monitor's name.
   * @default - derived from the construct path
   */
  readonly monitorName?: string;
}

/**
 * AWS Cost Anomaly Detection on the GenAI spend: a custom monitor on the Application cost allocation tag (or an
 * expression of your own), and a subscription that publishes each anomaly whose total impact reaches the threshold
 * to an encrypted SNS topic as soon as it is detected.
 *
 * Cost Anomaly Detection reads the billing data (Cost Explorer), so it catches spend the pipeline's metrics do not
 * see, hours later (it runs about three times a day); the CloudWatch alarms catch the pipeline's spend within the
 * hour. The service itself is free; the topic's KMS key costs $1 per month.
 */
export class CostAnomalyMonitor extends Construct {
  /** The anomaly monitor. */
  public readonly monitor: ce.CfnAnomalyMonitor;
  /** The subscription: IMMEDIATE, to the topic, above the threshold. */
  public readonly subscription: ce.CfnAnomalySubscription;
  /** The topic anomalies are published to. */
  public readonly topic: sns.ITopic;
  /** The threshold, in USD of total impact. */
  public readonly thresholdUsd: number;

  constructor(scope: Construct, id: string, props: CostAnomalyMonitorProps) {
    super(scope, id);
    checkProps(this, 'CostAnomalyMonitorProps', props, COST_ANOMALY_MONITOR_PROP_KINDS);
    const specification = monitorSpecificationOf(this, props);
    this.thresholdUsd = props.thresholdUsd ?? 10;
    if (!Token.isUnresolved(this.thresholdUsd) && !(this.thresholdUsd > 0)) {
      throw new Error(`${this.node.path}: thresholdUsd is ${this.thresholdUsd}. Fix: use a positive amount of total impact in USD, e.g. 10 (the default).`);
    }
    validateEmails(this, props.emailSubscriptions);

    if (props.topic) {
      this.topic = props.topic;
      for (const email of props.emailSubscriptions ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      if (props.topic.masterKey && !allowServiceToUseKey(props.topic.masterKey, TopicPublisher.COST_ANOMALY_DETECTION, this)) {
        Annotations.of(this).addWarningV2('genai-finops:cost-anomaly-topic-key',
          `${this.node.path}: the topic's KMS key is not managed by this app, so its policy cannot be extended. Fix: let costalerts.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt), or Cost Anomaly Detection cannot publish.`);
      }
      if (!allowServiceToPublish(props.topic, TopicPublisher.COST_ANOMALY_DETECTION, this)) {
        Annotations.of(this).addWarningV2('genai-finops:cost-anomaly-topic-policy',
          `${this.node.path}: the topic is not managed by this app, so its policy cannot be extended. Fix: allow costalerts.amazonaws.com to sns:Publish to it (conditioned on aws:SourceAccount and aws:SourceArn).`);
      }
    } else {
      const key: kms.Key = topicKey(this, 'Key', `Encrypts the cost anomaly notifications of ${this.node.path}`);
      allowServiceToUseKey(key, TopicPublisher.COST_ANOMALY_DETECTION, this);
      this.topic = encryptedTopic(this, 'Topic', key, TopicPublisher.COST_ANOMALY_DETECTION, 'GenAI cost anomalies', props.emailSubscriptions);
    }

    const name = props.monitorName ?? Names.uniqueResourceName(this, { maxLength: 100 });
    this.monitor = new ce.CfnAnomalyMonitor(this, 'Resource', {
      monitorName: name,
      monitorType: 'CUSTOM',
      monitorSpecification: specification,
    });
    this.subscription = new ce.CfnAnomalySubscription(this, 'Subscription', {
      subscriptionName: name,
      frequency: 'IMMEDIATE',
      monitorArnList: [this.monitor.attrMonitorArn],
      subscribers: [{ type: 'SNS', address: this.topic.topicArn }],
      // ThresholdExpression replaces the deprecated Threshold: anomalies whose total impact reaches the amount.
      thresholdExpression: JSON.stringify({
        Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: [String(this.thresholdUsd)] },
      }),
    });
    // The topic policy must exist before the subscription is created, or the service cannot verify it can publish.
    const topicPolicy = this.topic.node.tryFindChild('Policy');
    if (topicPolicy) this.subscription.node.addDependency(topicPolicy);
  }
}

function monitorSpecificationOf(scope: Construct, props: CostAnomalyMonitorProps): string {
  if (props.monitorSpecification !== undefined && props.applications !== undefined) {
    throw new Error(`${scope.node.path}: both applications and monitorSpecification are set. Fix: pass one: applications for the Application tag, or your own expression.`);
  }
  if (props.monitorSpecification !== undefined) {
    if (!Token.isUnresolved(props.monitorSpecification)) {
      try {
        JSON.parse(props.monitorSpecification);
      } catch {
        throw new Error(`${scope.node.path}: monitorSpecification is not JSON: '${props.monitorSpecification}'. Fix: pass a Cost Explorer expression, e.g. '{"Dimensions":{"Key":"SERVICE","Values":["Amazon Bedrock"]}}'.`);
      }
    }
    return props.monitorSpecification;
  }
  const applications = props.applications ?? [];
  if (applications.length === 0) {
    throw new Error(`${scope.node.path}: applications is ${props.applications ? 'empty' : 'missing'}. Fix: list the Application tag values to watch, e.g. applications: ['customer-support'], or pass monitorSpecification.`);
  }
  return JSON.stringify({ Tags: { Key: GenAiTagKey.APPLICATION, Values: applications, MatchOptions: ['EQUALS'] } });
}

// The known keys of CostAnomalyMonitorProps and what each holds (lib/private/prop-check.ts).
const COST_ANOMALY_MONITOR_PROP_KINDS = {
  applications: 'string[]',
  monitorSpecification: 'string',
  thresholdUsd: 'number',
  topic: 'object',
  emailSubscriptions: 'string[]',
  monitorName: 'string',
} as const satisfies PropKinds<CostAnomalyMonitorProps>;
