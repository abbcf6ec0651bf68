import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  ApiAuthorization,
  ApiWorkflow,
  BedrockModel,
  CrossRegionGeography,
  DocumentWorkflow,
  GenAiTags,
  ScheduledWorkflow,
} from '../lib';

/**
 * The example "customer-support GenAI" stack: a chat API, a document analyser for uploaded tickets and
 * attachments, and a nightly batch that summarises the day's conversations.
 */
export class CustomerSupportStack extends Stack {
  public readonly chat: ApiWorkflow;
  public readonly documents: DocumentWorkflow;
  public readonly nightly: ScheduledWorkflow;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    GenAiTags.apply(this, { team: 'support', costCenter: 'operations', customer: 'internal' });

    this.chat = new ApiWorkflow(this, 'Chat', {
      tags: { feature: 'support-chat' },
      authorization: ApiAuthorization.IAM,
      model: BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0'),
      maxTokens: 512,
    });
    this.documents = new DocumentWorkflow(this, 'Documents', {
      tags: { feature: 'ticket-attachments' },
      prefix: 'incoming/',
      suffix: '.txt',
      model: BedrockModel.foundationModel('amazon.nova-micro-v1:0'),
      maxTokens: 400,
    });
    this.nightly = new ScheduledWorkflow(this, 'Nightly', {
      tags: { feature: 'conversation-digest' },
      model: BedrockModel.foundationModel('amazon.nova-lite-v1:0'),
      maxTokens: 300,
    });
  }
}
