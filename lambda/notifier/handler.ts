import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoDbClient, s3Client } from '../shared/clients';
import { readNotifierConfig } from './config';
import { createNotifier } from './notifier';

let notifier: ReturnType<typeof createNotifier> | undefined;

/**
 * The alert notifier: SQS (fed by the alert topics and the breaker's destination) → the incoming webhook. Created on
 * the first event, so that a cold start reads its configuration once.
 */
export async function handler(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  notifier ??= createNotifier({
    config: readNotifierConfig(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    dynamodb: dynamoDbClient(),
    s3: s3Client(),
    // Endpoints from AWS_ENDPOINT_URL_CLOUDWATCH / AWS_ENDPOINT_URL_SECRETS_MANAGER when set (local runs), as the SDK reads them.
    cloudwatch: new CloudWatchClient({}),
    secrets: new SecretsManagerClient({}),
  });
  return notifier(event, context);
}

/** Forget the notifier, so tests can point the next one at other endpoints. */
export function resetNotifier(): void {
  notifier = undefined;
}
