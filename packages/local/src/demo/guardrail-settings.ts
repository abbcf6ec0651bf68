/**
 * The guardrails scenario's settings, which both the demo stack (the constructs' props) and the run (the requests,
 * the alarm notifications, the report) read.
 */
import type { BreakerConfig } from '../../../../shared/contract';

/** The runaway tenant's daily quota: tokens (fresh input + output + cache writes) and USD. */
export const TENANT_TOKEN_LIMIT = 100_000;
export const TENANT_USD_LIMIT = 0.5;

/** The features of the breaker scenario and how each behaves when tripped. */
export const BREAKER_FEATURES: Readonly<Record<string, BreakerConfig['features'][string]>> = {
  'support-chat': { critical: false, whenTripped: 'pause' },
  'ticket-triage': { critical: false, whenTripped: 'downgrade', downgradeTo: 'simple' },
  'account-security': { critical: true, whenTripped: 'pause' },
};

/** The CloudWatch alarms the breaker acts on: one feature's spend, and the application's total. */
export const FEATURE_ALARM = 'genai-support-chat-spend';
export const GLOBAL_ALARM = 'genai-total-spend';
