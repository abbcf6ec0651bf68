/**
 * The chat page's "deployment": the library's streaming API workflow (`ApiWorkflow` with `responseStreaming`) and
 * the usage ledger holding a per-tenant daily quota, synthesized in process. The chat runs the function the template
 * gives (its bundle, api-stream, and its environment), as `cdk deploy` would configure it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ApiWorkflow, GenAiTags, UsageLedger, UsageScope, UsageWindow } from '../../../../../lib';
import { asTemplate, CloudFormationTemplate, LOCAL_ACCOUNT, LOCAL_REGION } from '../../template';
import { TENANT_TOKEN_LIMIT, TENANT_USD_LIMIT } from '../guardrail-settings';

export const CHAT_STACK = 'GenAiFinOpsChat';
/** The streaming API workflow's construct id. */
export const CHAT_WORKFLOW = 'Chat';

/** The synthesized chat stack. */
export interface ChatTemplate {
  readonly stackName: string;
  readonly template: CloudFormationTemplate;
  /** The streaming API function's logical id. */
  readonly functionId: string;
  /** The streaming API workflow's construct path. */
  readonly constructPath: string;
}

/** Builds and synthesizes the chat stack (in a temporary folder, removed afterwards). */
export function synthesizeChatStack(): ChatTemplate {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'genai-finops-chat-synth-'));
  try {
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:disable-asset-staging': true } });
    GenAiTags.apply(app, { environment: 'development', application: 'customer-support', team: 'support', costCenter: 'operations', customer: 'internal' });
    const stack = new Stack(app, CHAT_STACK, { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
    const ledger = new UsageLedger(stack, 'UsageLedger');
    const chat = new ApiWorkflow(stack, CHAT_WORKFLOW, {
      tags: { feature: 'support-chat' },
      responseStreaming: true,
      usageLedger: ledger,
      usageLimits: [{ scope: UsageScope.TENANT, window: UsageWindow.DAY, maxTokens: TENANT_TOKEN_LIMIT, maxCostUsd: TENANT_USD_LIMIT }],
    });
    const functionId = stack.getLogicalId(chat.handler.node.defaultChild as CfnFunction);
    const template = asTemplate(app.synth().getStackByName(CHAT_STACK).template, `the chat stack ${CHAT_STACK}`);
    return { stackName: CHAT_STACK, template, functionId, constructPath: chat.node.path };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
