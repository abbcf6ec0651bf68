import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NotifierConfig } from '../../shared/contract';
import { logError, logInfo, logWarn } from '../shared/log';
import { Alert } from './alert';
import { alertsOfBody } from './alert-events';
import { chartOf } from './chart';
import { DeliveryClaims } from './delivery-claims';
import { linksOf } from './links';
import { messageBody } from './messages';
import { runbookStepOf } from './runbook';
import { postToWebhook, webhookUrlOf } from './webhook';

/** The clients and clock the notifier works with. */
export interface NotifierDependencies {
  readonly config: NotifierConfig;
  readonly region: string;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly cloudwatch: CloudWatchClient;
  readonly secrets: SecretsManagerClient;
  readonly now?: () => number;
}

// A claim stays `posting` this long: longer than the function's timeout, so that a slow post is not doubled, and
// short enough that a crashed one is retried by the queue's next delivery.
const CLAIM_LEASE_SECONDS = 120;
// The secret is read once per container and again after this long, so that a rotated URL is taken up.
const SECRET_CACHE_MS = 5 * 60_000;
/** The chart (GetMetricWidgetImage and the S3 put) gets this long; a slower one is left out of the message. */
export const CHART_TIMEOUT_MS = 10_000;
/** The claim writes and the secret read of one alert, beside the chart and the webhook's own limit. */
export const ALERT_BOOKKEEPING_MS = 5_000;

/** The longest one alert may take: the chart's limit, the webhook's limit and the bookkeeping. */
export function alertTimeBudgetMs(webhookTimeoutMs: number): number {
  return CHART_TIMEOUT_MS + webhookTimeoutMs + ALERT_BOOKKEEPING_MS;
}

/** What the notifier reads of the Lambda context: the time left before the function's timeout. */
export interface NotifierContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The notifier: each SQS record (an SNS notification of an alert topic, or the breaker's destination record) becomes
 * one message per alert on the webhook. A record whose post fails is reported as a batch item failure, so that SQS
 * delivers it again and, after the queue's receive count, moves it to the dead-letter queue; the others are done.
 */
export function createNotifier(deps: NotifierDependencies): (event: SQSEvent, context?: NotifierContext) => Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const claims = new DeliveryClaims(deps.dynamodb, deps.config.claimsTable, deps.config.claimRetentionDays);
  let secret: { url: URL; readAt: number } | undefined;

  const webhookUrl = async (): Promise<URL> => {
    if (secret && now() - secret.readAt < SECRET_CACHE_MS) return secret.url;
    const value = await deps.secrets.send(new GetSecretValueCommand({ SecretId: deps.config.webhookSecretArn }));
    if (typeof value.SecretString !== 'string') throw new Error('the webhook secret has no string value. Fix: store the URL as the secret\'s text.');
    secret = { url: webhookUrlOf(value.SecretString, { allowLoopbackHttp: deps.config.allowLoopbackHttp === true }), readAt: now() };
    return secret.url;
  };

  const deliver = async (alert: Alert): Promise<void> => {
    const outcome = await claims.claim(alert.deliveryKey, now(), CLAIM_LEASE_SECONDS);
    if (outcome === 'already-posted') {
      logInfo('alert already posted: duplicate delivery skipped', { deliveryKey: alert.deliveryKey });
      return;
    }
    if (outcome === 'in-progress') throw new Error('another delivery of this alert is being posted; retried later');
    let chart: Awaited<ReturnType<typeof chartFor>>;
    try {
      const url = await webhookUrl();
      chart = await chartFor(alert);
      const body = messageBody(deps.config.format, {
        alert,
        links: linksOf(alert, deps.region, deps.config.dashboardName),
        runbook: runbookStepOf(alert),
        ...(chart ? { chart } : {}),
      });
      await postToWebhook(url, body, deps.config.webhookTimeoutMs);
    } catch (error) {
      await claims.release(alert.deliveryKey);
      throw error;
    }
    // The webhook answered 2xx: the message is in the channel, and the record is done. A failed bookkeeping write
    // must not release the claim nor fail the record (either would post it again): the claim stays `posting`, and
    // its lease holds off a duplicate delivery for CLAIM_LEASE_SECONDS; it is logged, not thrown.
    logInfo('alert posted', { kind: alert.kind, state: alert.state, deliveryKey: alert.deliveryKey, chart: chart !== undefined });
    try {
      await claims.markPosted(alert.deliveryKey);
    } catch (error) {
      logWarn('alert posted, but its claim could not be marked posted; the claim\'s lease holds off repeats', { deliveryKey: alert.deliveryKey, error: errorText(error) });
    }
  };

  // A message without its picture is better than no message: a chart that fails is logged and left out.
  const chartFor = async (alert: Alert) => {
    const chart = deps.config.chart;
    if (!chart) return undefined;
    try {
      return await chartOf(alert, chart, {
        cloudwatch: deps.cloudwatch, s3: deps.s3, bucket: deps.config.imageBucket,
        expirySeconds: deps.config.imageUrlExpirySeconds, range: deps.config.chartRange, region: deps.region,
      }, now(), AbortSignal.timeout(CHART_TIMEOUT_MS));
    } catch (error) {
      logWarn('alert chart could not be drawn; posting without it', { deliveryKey: alert.deliveryKey, error: errorText(error) });
      return undefined;
    }
  };

  // An alert is started only when it can finish before the function's timeout (a breaker record may carry one alert
  // per feature): otherwise its record is left to the queue, and the alerts it already posted are skipped then.
  const handleRecord = async (record: SQSRecord, context?: NotifierContext): Promise<void> => {
    for (const alert of alertsOfBody(record.body, deps.config.application)) {
      const left = context?.getRemainingTimeInMillis();
      if (left !== undefined && left < alertTimeBudgetMs(deps.config.webhookTimeoutMs)) {
        throw new Error(`${left} ms left before the function's timeout, less than one alert may take; left to the queue`);
      }
      await deliver(alert);
    }
  };

  return async (event, context) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records ?? []) {
      try {
        await handleRecord(record, context);
      } catch (error) {
        logError('alert not delivered; the queue will deliver it again', {
          messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount, error: errorText(error),
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}

// Only the error's own message: the webhook module's errors never hold the URL, and SDK errors do not know it.
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
