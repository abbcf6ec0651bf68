/**
 * The alert notifier's contract: what the `AlertDelivery` construct writes (`GENAI_NOTIFIER_CONFIG`) and the notifier
 * function reads, and the claims table's keys. Pure, as the rest of the contract.
 */

/** The environment variable holding the JSON of {@link NotifierConfig}. */
export const NOTIFIER_CONFIG_ENV = 'GENAI_NOTIFIER_CONFIG';

/** The message formats the notifier posts. */
export const WEBHOOK_FORMATS = ['slack', 'teams', 'json'] as const;
/** One webhook format: Slack Block Kit, a Microsoft Teams Adaptive Card, or the notifier's own JSON. */
export type WebhookFormatName = typeof WEBHOOK_FORMATS[number];

/** The claims table: one item per alert delivery (partition key only) and its expiry (DynamoDB TTL). */
export const NOTIFIER_CLAIMS_TABLE = Object.freeze({ partitionKey: 'pk', ttlAttribute: 'expiresAt' });

/** One series of the alert chart: a workflow's cost, as the dashboard labels it. */
export interface AlertChartSeries {
  readonly application: string;
  readonly feature: string;
  readonly label: string;
}

/**
 * The alert's cost chart, from the dashboard's widget spec (its title, unit, period, metric, statistic and series
 * labels): the notifier draws the alert's workflow alone, or every workflow and the total. Kept this small because it
 * travels in the notifier's environment (4 KB for all of it); the notifier assembles the `MetricWidget`.
 */
export interface AlertChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly periodSeconds: number;
  readonly namespace: string;
  readonly metricName: string;
  readonly stat: string;
  readonly series: AlertChartSeries[];
  /** The label of the total series, when the dashboard draws one (several workflows). */
  readonly totalLabel?: string;
}

/** The notifier's configuration (`GENAI_NOTIFIER_CONFIG`), written by the AlertDelivery construct. */
export interface NotifierConfig {
  /** The ARN of the secret whose value is the webhook URL (or `{"url": "..."}`). */
  readonly webhookSecretArn: string;
  readonly format: WebhookFormatName;
  /** The claims table that makes one alarm transition one post. */
  readonly claimsTable: string;
  /** Days a delivery claim is kept: a duplicate arriving later than this is posted again. */
  readonly claimRetentionDays: number;
  /** The bucket the chart pictures are written to (the picture travels as a presigned URL). */
  readonly imageBucket: string;
  /** How long a picture's presigned URL is valid, in seconds. */
  readonly imageUrlExpirySeconds: number;
  /** The time range each chart shows, as an ISO 8601 duration (e.g. `PT24H`). */
  readonly chartRange: string;
  /** The webhook's answer time limit, in milliseconds; a slower answer is retried. */
  readonly webhookTimeoutMs: number;
  /** The Application the breaker's trips and resets belong to, when known. */
  readonly application?: string;
  /** The CloudWatch dashboard the messages link to. */
  readonly dashboardName?: string;
  /** The cost chart, when workflows are given. */
  readonly chart?: AlertChartSpec;
  /**
   * Accept a plain `http://` webhook on loopback: local runs and tests only. The AlertDelivery construct never writes
   * it (in Lambda, loopback is the Runtime API and extensions).
   */
  readonly allowLoopbackHttp?: boolean;
}

/** Defaults of the AlertDelivery construct that the notifier also needs. */
export const ALERT_DEFAULTS = Object.freeze({
  claimRetentionDays: 14,
  imageUrlExpirySeconds: 3600,
  chartRange: 'PT24H',
  webhookTimeoutMs: 5000,
});
