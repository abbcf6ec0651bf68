import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * SQS records of the shapes the notifier's queue receives: an SNS notification delivered to SQS (the JSON envelope
 * SNS writes without raw message delivery; note `SigningCertURL` and `UnsubscribeURL`, spelt as in SQS bodies), and
 * the Lambda destination record of the circuit breaker's asynchronous invocation.
 */

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:genai-alarms';
const QUEUE = 'arn:aws:sqs:us-east-1:111122223333:genai-alert-delivery';

/** The SNS message of one of the companion's sample SNS events (the breaker's tests read the same files). */
export function sampleSnsMessage(name: 'sns-cloudwatch-alarm' | 'sns-cloudwatch-alarm-ok' | 'sns-budgets-notification'): { message: string; subject?: string; messageId: string; timestamp: string } {
  const event = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'packages', 'local', 'events', `${name}.json`), 'utf8'));
  const sns = event.Records[0].Sns;
  return { message: sns.Message, subject: sns.Subject, messageId: sns.MessageId, timestamp: sns.Timestamp };
}

/** An SQS record carrying an SNS notification. */
export function snsInSqs(sns: { message: string; subject?: string; messageId: string; timestamp: string }, sqsMessageId: string, receiveCount = 1): SQSRecord {
  const body = JSON.stringify({
    Type: 'Notification',
    MessageId: sns.messageId,
    TopicArn: TOPIC,
    ...(sns.subject ? { Subject: sns.subject } : {}),
    Message: sns.message,
    Timestamp: sns.timestamp,
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:0f0e0d0c-0b0a-0908-0706-050403020100`,
  });
  return sqsRecord(body, sqsMessageId, receiveCount);
}

/** An SQS record carrying the breaker function's on-success destination record. */
export function breakerDestinationInSqs(
  decision: { tripped: string[]; reset: string[]; unchanged: string[]; changes?: unknown[] }, requestId: string, sqsMessageId: string,
  alarm = sampleSnsMessage(decision.reset.length ? 'sns-cloudwatch-alarm-ok' : 'sns-cloudwatch-alarm'),
): SQSRecord {
  const body = JSON.stringify({
    version: '1.0',
    timestamp: '2026-11-27T14:00:42.118Z',
    requestContext: {
      requestId,
      functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:GenAiBreakerHandler:$LATEST',
      condition: 'Success',
      approximateInvokeCount: 1,
    },
    requestPayload: {
      Records: [{
        EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: `${TOPIC}:sub`,
        Sns: { Type: 'Notification', MessageId: alarm.messageId, TopicArn: TOPIC, Subject: alarm.subject, Message: alarm.message, Timestamp: alarm.timestamp, MessageAttributes: {} },
      }],
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    responsePayload: decision,
  });
  return sqsRecord(body, sqsMessageId, 1);
}

/**
 * A Cost Anomaly Detection notification (IMMEDIATE subscription to SNS), in the JSON the service publishes: the
 * fields of the API's Anomaly object with lower-case names, the monitor and subscription, and the console link.
 */
export function anomalyMessage(totalImpact = 41.5): { message: string; messageId: string; timestamp: string } {
  return {
    message: JSON.stringify({
      accountId: '111122223333',
      anomalyDetailsLink: 'https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/abcdef12-1234-4ea0-84cc-918a97d736ef/anomalies/12345678-abcd-ef12-3456-987654321a12',
      anomalyEndDate: '2026-11-27T00:00:00Z',
      anomalyId: '12345678-abcd-ef12-3456-987654321a12',
      anomalyScore: { currentScore: 0.74, maxScore: 0.74 },
      anomalyStartDate: '2026-11-26T00:00:00Z',
      dimensionalValue: 'Amazon Bedrock',
      impact: { maxImpact: totalImpact, totalActualSpend: 12.5 + totalImpact, totalExpectedSpend: 12.5, totalImpact, totalImpactPercentage: Math.round((totalImpact / 12.5) * 10000) / 100 },
      monitorArn: 'arn:aws:ce::111122223333:anomalymonitor/abcdef12-1234-4ea0-84cc-918a97d736ef',
      rootCauses: [{ linkedAccount: '111122223333', linkedAccountName: 'genai-prod', region: 'us-east-1', service: 'Amazon Bedrock', usageType: 'USE1-Claude4.5Sonnet-input-tokens' }],
      subscriptionId: '111122223333-abcdef12-1234-4ea0-84cc-918a97d736ef',
      subscriptionName: 'genai-anomalies',
    }),
    messageId: `7a1c0e55-0000-4000-8000-${String(Math.round(totalImpact * 100)).padStart(12, '0')}`,
    timestamp: '2026-11-27T03:12:09.000Z',
  };
}

/** An SQS event of these records. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

function sqsRecord(body: string, messageId: string, receiveCount: number): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1795788041601',
      SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
      ApproximateFirstReceiveTimestamp: '1795788041612',
    },
    messageAttributes: {},
    md5OfBody: '0'.repeat(32),
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE,
    awsRegion: 'us-east-1',
  };
}
