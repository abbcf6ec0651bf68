import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BedrockModel } from '../inference';
import { GenAiTagValues } from '../tagging';

/** Properties every GenAI workflow accepts. */
export interface GenAiWorkflowProps {
  /**
   * GenAI tags for this workflow (typically Feature, Team, CostCenter, Customer). They apply to every resource
   * of the workflow, including its Bedrock inference profile, so they reach the bill.
   * @default - only the tags inherited from enclosing scopes; InferenceType defaults per workflow
   */
  readonly tags?: GenAiTagValues;
  /**
   * The model the workflow invokes, through an application inference profile of its own.
   * @default BedrockModel.crossRegion(CrossRegionGeography.US, 'anthropic.claude-haiku-4-5-20251001-v1:0')
   */
  readonly model?: BedrockModel;
  /**
   * The output cap sent with every model call (`maxTokens`). Output tokens cost about 5× input tokens.
   * @default 1024
   */
  readonly maxTokens?: number;
  /**
   * Instructions sent as the system prompt with every call.
   * @default - the workflow's built-in instructions
   */
  readonly systemPrompt?: string;
  /**
   * Memory of the handler in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of the handler.
   * @default - 29 seconds for the API workflow, 5 minutes for documents, 15 minutes for the schedule
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of the handler: a ceiling on parallel model calls.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the handler's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}
