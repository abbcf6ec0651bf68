/**
 * The demo's bill: what the Bedrock simulator served (its call log: every call it answered and billed, whatever the
 * pipeline recorded), as CUR 2.0 line items: one per hour, resource and usage type, at the catalog's list prices,
 * tagged with the Application and Feature of the application inference profile called (as the bill attributes
 * Bedrock usage). A call on a model id that is no profile of the stack bills untagged: unmetered spend.
 */
import { lookupModel, priceUsage } from '../../../../shared/core';
import type { SimulatedCall } from '../bedrock-simulator';

/** A CUR 2.0 line item with the columns the reconciliation reads (the others stay NULL). */
export interface DemoCurLine {
  readonly bill_billing_period_start_date: string;
  readonly bill_billing_entity: string;
  readonly line_item_usage_start_date: string;
  readonly line_item_line_item_type: string;
  readonly line_item_product_code: string;
  readonly product_servicecode: string;
  readonly line_item_usage_type: string;
  readonly line_item_resource_id: string;
  readonly line_item_usage_amount: number;
  readonly line_item_unblended_cost: number;
  readonly resource_tags: Readonly<Record<string, string>>;
}

/** The Application and Feature tags of a profile. */
export interface ProfileTags {
  readonly application: string;
  readonly feature: string;
}

/** The billed line items of `calls`; `profiles` maps each model id the stack's workflows call to its tags. */
export function curLinesOfCalls(calls: ReadonlyArray<SimulatedCall>, profiles: ReadonlyMap<string, ProfileTags>): DemoCurLine[] {
  const lines = new Map<string, { line: Omit<DemoCurLine, 'line_item_usage_amount' | 'line_item_unblended_cost'>; amount: number; cost: number }>();
  for (const call of calls) {
    if (!call.usage || (call.operation !== 'Converse' && call.operation !== 'InvokeModel')) continue;
    const { price } = lookupModel(call.baseModelId ?? call.modelId);
    const cost = priceUsage(call.usage, price);
    const hour = new Date(Math.floor(call.at / 3_600_000) * 3_600_000).toISOString();
    const tags = profiles.get(call.modelId);
    const buckets: Array<[string, number, number]> = [
      ['input-tokens', call.usage.inputTokens, cost.inputUsd],
      ['output-tokens', call.usage.outputTokens, cost.outputUsd],
      ['cache-read-input-token-count', call.usage.cacheReadInputTokens, cost.cacheReadUsd],
      ['cache-write-input-token-count', call.usage.cacheWriteInputTokens, cost.cacheWrite5mUsd + cost.cacheWrite1hUsd],
    ];
    for (const [suffix, amount, usd] of buckets) {
      if (amount === 0) continue;
      const usageType = `USE1-${price.name}-${suffix}`;
      const key = `${hour}|${call.modelId}|${usageType}`;
      const entry = lines.get(key) ?? {
        line: {
          bill_billing_period_start_date: `${hour.slice(0, 7)}-01T00:00:00.000Z`,
          bill_billing_entity: 'AWS',
          line_item_usage_start_date: hour,
          line_item_line_item_type: 'Usage',
          line_item_product_code: 'AmazonBedrock',
          product_servicecode: 'AmazonBedrock',
          line_item_usage_type: usageType,
          line_item_resource_id: call.modelId,
          resource_tags: tags ? { user_Application: tags.application, user_Feature: tags.feature } : {},
        },
        amount: 0,
        cost: 0,
      };
      entry.amount += amount;
      entry.cost += usd;
      lines.set(key, entry);
    }
  }
  return [...lines.values()].map((e) => ({ ...e.line, line_item_usage_amount: e.amount, line_item_unblended_cost: e.cost }));
}
