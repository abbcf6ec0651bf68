import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC } from '../../shared/contract';
import { CONTENT_LENGTH_ALERT_TOKENS, PROMPT_CACHE_HIT_RATE_TARGET, workflowLabel } from './dashboard-spec';
import { lookupModel } from '../../shared/core';
import { allowAlarmsOnTopic, allowServiceToUseKey, encryptedTopic, TopicPublisher, topicKey, validateEmails } from '../private/encrypted-topic';
import { declareBreakerSignal } from '../guardrails/breaker-signals';
import { missingModels } from './spend-models-check';
import { pipelineTerm, sumTerms, Term, termMetric } from './metric-math';
import { MonitoredWorkflow, validateWorkflows } from './monitored-workflow';
import { checkProps, PropKinds } from '../private/prop-check';

/** Properties of {@link GenAiAlarms}. */
export interface GenAiAlarmsProps {
  /** The workflows to watch. */
  readonly workflows: MonitoredWorkflow[];
  /**
   * Spend per hour, in USD, above which the total spend alarm fires (every workflow added up; with one workflow,
   * its own alarm is the total).
   */
  readonly hourlySpendThresholdUsd: number;
  /**
   * Spend per hour, in USD, above which a workflow's own spend alarm fires.
   * @default - hourlySpendThresholdUsd
   */
  readonly workflowHourlySpendThresholdUsd?: number;
  /**
   * Input tokens of a single request above which the content-length alarm fires (the article's 20,000).
   * @default 20000
   */
  readonly maxRequestTokens?: number;
  /**
   * The prompt-cache hit rate below which the prompt-cache alarm fires, as a fraction in (0, 1].
   * @default 0.9
   */
  readonly promptCacheHitRateTarget?: number;
  /**
   * Model calls an hour below which the prompt-cache alarm does not judge the hit rate: a quiet hour's few calls
   * (each of which may write the cache) are no signal.
   * @default 20
   */
  readonly promptCacheMinModelCallsPerHour?: number;
  /**
   * Width of the cost anomaly band, in standard deviations: higher means fewer, larger anomalies.
   * @default 3
   */
  readonly anomalyBandStdDevs?: number;
  /**
   * The topic every alarm notifies.
   * @default - a new topic encrypted with a new KMS key that CloudWatch may use
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses to subscribe to the alarm topic (each confirms by email).
   * @default - none
   */
  readonly emailSubscriptions?: string[];
}

/**
 * The alarms of GenAI workflows, all notifying one encrypted SNS topic (`topic`); the spend alarms also notify
 * `spendTopic`, on ALARM and on OK, which a circuit breaker subscribes to (open on ALARM, close on OK).
 *
 * Per workflow: spend per hour above a threshold; spend per hour above the band CloudWatch anomaly detection learns
 * (`ANOMALY_DETECTION_BAND`); a single request above 20,000 input tokens; prompt-cache hit rate below 90 % per model
 * that supports prompt caching, judged only in hours with enough model calls; handler errors; dead-letter queue depth
 * above 0. Once: total spend per hour (several workflows); Bedrock throttles in the account and Region.
 *
 * Costs $0.10 per month per metric an alarm analyses ($0.30 per metric of an anomaly alarm: the metric and its two band edges), plus the KMS key
 * ($1 per month).
 */
export class GenAiAlarms extends Construct {
  /** The topic every alarm notifies. Subscribe people and chat channels here. */
  public readonly topic: sns.ITopic;
  /** The topic the spend alarms notify on ALARM and on OK: for automation such as a circuit breaker. */
  public readonly spendTopic: sns.ITopic;
  /** The key of the topics this construct created. */
  public readonly key: kms.IKey;
  /** The spend alarms: per workflow, total, anomaly. */
  public readonly spendAlarms: cloudwatch.IAlarm[] = [];
  /** Every alarm. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** The anomaly detectors of cost per hour, one per workflow. */
  public readonly anomalyDetectors: cloudwatch.CfnAnomalyDetector[] = [];

  private readonly alarmAction: actions.SnsAction;
  private readonly spendAction: actions.SnsAction;

  constructor(scope: Construct, id: string, props: GenAiAlarmsProps) {
    super(scope, id);
    checkProps(this, 'GenAiAlarmsProps', props, GEN_AI_ALARMS_PROP_KINDS);
    validateWorkflows(this, props.workflows);
    validateAlarmProps(this, props);

    const key = topicKey(this, 'Key', `Encrypts the notifications of ${this.node.path}`);
    allowServiceToUseKey(key, TopicPublisher.CLOUDWATCH_ALARMS, this);
    this.key = key;
    this.topic = props.topic ?? encryptedTopic(this, 'Topic', key, TopicPublisher.CLOUDWATCH_ALARMS, 'GenAI alarms', props.emailSubscriptions);
    if (props.topic) {
      for (const email of props.emailSubscriptions ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      allowAlarmsOnTopic(this, props.topic);
    }
    this.spendTopic = encryptedTopic(this, 'SpendTopic', key, TopicPublisher.CLOUDWATCH_ALARMS, 'GenAI spend alarms');
    this.alarmAction = new actions.SnsAction(this.topic);
    this.spendAction = new actions.SnsAction(this.spendTopic);

    const hour = Duration.hours(1);
    const fiveMinutes = Duration.minutes(5);
    const workflowThreshold = props.workflowHourlySpendThresholdUsd ?? props.hourlySpendThresholdUsd;
    const maxTokens = props.maxRequestTokens ?? CONTENT_LENGTH_ALERT_TOKENS;
    const target = props.promptCacheHitRateTarget ?? PROMPT_CACHE_HIT_RATE_TARGET;
    const minCalls = props.promptCacheMinModelCallsPerHour ?? 20;
    const stdDevs = props.anomalyBandStdDevs ?? 3;

    for (const w of props.workflows) {
      const label = workflowLabel(w);
      // Named for the workflow, not its place in the list: reordering the workflows must not replace its alarms or
      // reset the anomaly detector's learned band.
      const workflowScope = new Construct(this, workflowScopeId(w));
      const cost = pipelineTerm(METRIC.costUsd, [w], 'Sum', hour, 'c');
      this.spend(singlePeriodAlarm(workflowScope, 'HourlySpend', {
        metric: termMetric(cost, hour, `${label} cost per hour`),
        threshold: workflowThreshold,
        alarmDescription: `${label} spent more than $${workflowThreshold} in an hour (CostUSD, all models). Check the GenAI dashboard's spend and tokens rows.`,
      }), w);
      this.anomaly(workflowScope, cost, label, stdDevs, w);

      this.add(singlePeriodAlarm(workflowScope, 'ContentLength', {
        metric: termMetric(pipelineTerm(METRIC.inputTokenBound, [w], 'Maximum', fiveMinutes, 'b'), fiveMinutes, `${label} largest request`),
        threshold: maxTokens,
        alarmDescription: `A single ${label} request had more than ${maxTokens} input tokens (InputTokenBound, the upper bound the limits use; `
          + 'near the limit it is Bedrock\'s CountTokens figure). Look for a runaway context (history or documents appended in a loop).',
      }));

      if (w.promptCaching ?? true) {
        for (const model of w.models.filter(supportsPromptCaching)) {
          this.add(singlePeriodAlarm(workflowScope, `PromptCache-${model}`, {
            metric: promptCacheRate({ ...w, models: [model] }, minCalls, hour, `${label} ${model} prompt-cache hit rate`),
            threshold: Math.round(target * 1000) / 10,
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            alarmDescription: `Under ${target * 100} % of ${label}'s input tokens to ${model} were read from the prompt cache in an hour with at least ${minCalls} calls. `
              + 'Check that the system prompt and context are stable and above the model\'s cache minimum.',
          }));
        }
      }

      if (w.handler) {
        this.add(singlePeriodAlarm(workflowScope, 'HandlerErrors', {
          metric: w.handler.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
          threshold: 0,
          alarmDescription: `The ${label} handler failed (Lambda Errors). Its log group has the error.`,
        }));
      }
      if (w.deadLetterQueue) {
        this.add(singlePeriodAlarm(workflowScope, 'DeadLetters', {
          metric: w.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
          threshold: 0,
          alarmDescription: `Failed asynchronous invocations of the ${label} handler are waiting in its dead-letter queue.`,
        }));
      }
    }

    if (props.workflows.length > 1) {
      // In label order, so that reordering the workflows leaves the alarm's metric math as it is.
      const byLabel = [...props.workflows].sort((a, b) => (workflowLabel(a) < workflowLabel(b) ? -1 : 1));
      const total = sumTerms(byLabel.map((w, i) => pipelineTerm(METRIC.costUsd, [w], 'Sum', hour, `w${i}_`)));
      this.spend(singlePeriodAlarm(this, 'TotalHourlySpend', {
        metric: termMetric(total, hour, 'Total cost per hour'),
        threshold: props.hourlySpendThresholdUsd,
        alarmDescription: `The workflows together spent more than $${props.hourlySpendThresholdUsd} in an hour.`,
      }), { application: sameApplication(props.workflows), feature: '*' });
    }

    // Bedrock's throttles for every model and profile of the account and Region, whatever form its ModelId takes:
    // a Metrics Insights query, one series. Throttles come from shared quotas, so every workflow is concerned.
    this.add(new cloudwatch.Alarm(this, 'BedrockThrottles', {
      metric: new cloudwatch.MathExpression({
        expression: 'SELECT SUM(InvocationThrottles) FROM SCHEMA("AWS/Bedrock", ModelId)',
        usingMetrics: {},
        period: fiveMinutes,
        label: 'Bedrock throttles',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Bedrock throttled invocations in two of the last three 5-minute periods (InvocationThrottles, all models). '
        + 'Check the tokens-per-minute quotas (EstimatedTPMQuotaUsage) or route to a cross-Region profile.',
    }));

    // Hand-typed model lists drift from the routing: once the app is built, compare them with its workflows.
    this.node.addValidation({
      validate: () => {
        for (const w of props.workflows) {
          for (const message of missingModels(this.node.root, w, `${this.node.path}: the alarms of ${workflowLabel(w)}`)) {
            Annotations.of(this).addWarningV2('genai-finops:alarm-missing-models', message);
          }
        }
        return [];
      },
    });
  }

  private add(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.alarmAction);
    this.alarms.push(alarm);
    return alarm;
  }

  // A spend alarm also tells a circuit breaker subscribed to `spendTopic` what it trips: the workflow's feature, or
  // every feature (`*`) for the total.
  private spend(alarm: cloudwatch.Alarm, of: { application?: string; feature: string }): void {
    declareBreakerSignal(alarm, { features: [of.feature], ...(of.application !== undefined ? { application: of.application } : {}) });
    this.add(alarm);
    alarm.addAlarmAction(this.spendAction);
    alarm.addOkAction(this.spendAction);
    this.spendAlarms.push(alarm);
  }

  // The detector is declared, not left for CloudWatch to create with the alarm, so that it is deleted with the stack;
  // its metric math is the alarm's, query for query.
  private anomaly(scope: Construct, cost: Term, label: string, stdDevs: number, workflow: MonitoredWorkflow): void {
    const hour = Duration.hours(1);
    const detector = new cloudwatch.CfnAnomalyDetector(scope, 'CostAnomalyDetector', {
      metricMathAnomalyDetector: {
        metricDataQueries: [
          { id: 'cost', expression: cost.expression, returnData: true },
          ...Object.entries(cost.usingMetrics).map(([id, metric]) => {
            const stat = (metric as cloudwatch.Metric);
            return {
              id,
              returnData: false,
              metricStat: {
                metric: {
                  namespace: stat.namespace,
                  metricName: stat.metricName,
                  dimensions: Object.entries(stat.dimensions ?? {}).map(([name, value]) => ({ name, value: String(value) })),
                },
                period: hour.toSeconds(),
                stat: 'Sum',
              },
            };
          }),
        ],
      },
    });
    const alarm = singlePeriodAlarm(scope, 'CostAnomaly', {
      metric: new cloudwatch.MathExpression({
        expression: `ANOMALY_DETECTION_BAND(cost, ${stdDevs})`,
        usingMetrics: { cost: termMetric(cost, hour, `${label} cost per hour`) },
        period: hour,
        label: `${label} expected cost per hour`,
      }),
      threshold: cloudwatch.Alarm.ANOMALY_DETECTION_NO_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      alarmDescription: `${label}'s cost in the last hour is above the band CloudWatch anomaly detection expects (${stdDevs} standard deviations).`,
    });
    alarm.node.addDependency(detector);
    this.anomalyDetectors.push(detector);
    this.spend(alarm, workflow);
  }
}

/**
 * An alarm that fires on the first period past its threshold (above it unless `comparisonOperator` says otherwise);
 * a period without data, a workflow without traffic, is not a breach.
 */
function singlePeriodAlarm(scope: Construct, id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods' | 'treatMissingData'>): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ...props,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/**
 * The prompt-cache hit rate in percent, `100 * read / (input + read + write)`, or 100 (no alarm) in an hour with
 * fewer than `minCalls` model calls.
 */
function promptCacheRate(w: MonitoredWorkflow, minCalls: number, period: Duration, label: string): cloudwatch.MathExpression {
  const read = pipelineTerm(METRIC.cacheReadTokens, [w], 'Sum', period, 'r');
  const input = pipelineTerm(METRIC.inputTokens, [w], 'Sum', period, 'i');
  const write = pipelineTerm(METRIC.cacheWriteTokens, [w], 'Sum', period, 'w');
  const calls = pipelineTerm(METRIC.attempts, [w], 'Sum', period, 'a');
  const all = `(${input.expression} + ${read.expression} + ${write.expression})`;
  return new cloudwatch.MathExpression({
    expression: `IF(${calls.expression} >= ${minCalls} AND ${all} > 0, 100 * ${read.expression} / ${all}, 100)`,
    usingMetrics: { ...read.usingMetrics, ...input.usingMetrics, ...write.usingMetrics, ...calls.usingMetrics },
    period,
    label,
  });
}

/**
 * The construct id of a workflow's alarms, from its Application and Feature (a pair validateWorkflows keeps unique),
 * each URI-encoded: `/` would split the construct path, and the `:` between them cannot then occur inside either.
 */
function workflowScopeId(w: MonitoredWorkflow): string {
  return `Workflow:${encodeURIComponent(w.application)}:${encodeURIComponent(w.feature)}`;
}

// The Application of the workflows when they share one (the total's breaker scope), else undefined.
function sameApplication(workflows: MonitoredWorkflow[]): string | undefined {
  const applications = new Set(workflows.map((w) => w.application));
  return applications.size === 1 ? [...applications][0] : undefined;
}

// A model supports prompt caching when the catalog knows its cache minimum.
function supportsPromptCaching(model: string): boolean {
  return lookupModel(model).price.minCacheTokens !== undefined;
}

function validateAlarmProps(scope: Construct, props: GenAiAlarmsProps): void {
  const positive = (name: string, value: number | undefined, fix: string) => {
    if (value !== undefined && !Token.isUnresolved(value) && !(value > 0)) {
      throw new Error(`${scope.node.path}: ${name} is ${value}. Fix: ${fix}`);
    }
  };
  positive('hourlySpendThresholdUsd', props.hourlySpendThresholdUsd, 'use a positive amount in USD, e.g. 5 for $5 an hour.');
  positive('workflowHourlySpendThresholdUsd', props.workflowHourlySpendThresholdUsd, 'use a positive amount in USD, or leave it out to use hourlySpendThresholdUsd.');
  positive('maxRequestTokens', props.maxRequestTokens, 'use a positive number of tokens, e.g. 20000 (the default).');
  positive('promptCacheMinModelCallsPerHour', props.promptCacheMinModelCallsPerHour, 'use a positive number of calls, e.g. 20 (the default).');
  positive('anomalyBandStdDevs', props.anomalyBandStdDevs, 'use a positive number of standard deviations, e.g. 3 (the default).');
  const target = props.promptCacheHitRateTarget;
  if (target !== undefined && !Token.isUnresolved(target) && !(target > 0 && target <= 1)) {
    throw new Error(`${scope.node.path}: promptCacheHitRateTarget is ${target}; it is a fraction in (0, 1]. Fix: use e.g. 0.9 for 90 % (the default).`);
  }
  validateEmails(scope, props.emailSubscriptions);
}


// The known keys of GenAiAlarmsProps and what each holds (lib/private/prop-check.ts).
const GEN_AI_ALARMS_PROP_KINDS = {
  workflows: { items: 'object' },
  hourlySpendThresholdUsd: 'number',
  workflowHourlySpendThresholdUsd: 'number',
  maxRequestTokens: 'number',
  promptCacheHitRateTarget: 'number',
  promptCacheMinModelCallsPerHour: 'number',
  anomalyBandStdDevs: 'number',
  topic: 'object',
  emailSubscriptions: 'string[]',
} as const satisfies PropKinds<GenAiAlarmsProps>;
