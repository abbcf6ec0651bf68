import { lookupModel } from '../../../shared/core';
import type { SimulatedCall } from '../../../packages/local/src/bedrock-simulator';
import { curLinesOfCalls } from '../../../packages/local/src/demo/bill';

const PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/haiku';
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const AT = Date.parse('2026-03-10T09:15:00Z');

function call(fields: Partial<SimulatedCall>): SimulatedCall {
  return {
    operation: 'Converse', modelId: PROFILE, baseModelId: HAIKU, status: 200, latencyMs: 0, at: AT,
    usage: { inputTokens: 1_000_000, outputTokens: 100_000, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, totalTokens: 1_100_000 },
    ...fields,
  };
}

test('bills each call\'s tokens at the catalog price, one line per hour, resource and usage type, tagged by its profile', () => {
  const price = lookupModel(HAIKU).price;
  const lines = curLinesOfCalls([call({}), call({ at: AT + 60_000 })], new Map([[PROFILE, { application: 'app', feature: 'chat' }]]));
  expect(lines).toHaveLength(2);
  const input = lines.find((l) => l.line_item_usage_type.endsWith('-input-tokens'))!;
  expect(input).toMatchObject({
    line_item_usage_start_date: '2026-03-10T09:00:00.000Z', line_item_resource_id: PROFILE, line_item_usage_amount: 2_000_000,
    resource_tags: { user_Application: 'app', user_Feature: 'chat' }, line_item_line_item_type: 'Usage', line_item_product_code: 'AmazonBedrock',
  });
  expect(input.line_item_unblended_cost).toBeCloseTo(2 * price.inputPerMillion, 9);
  const output = lines.find((l) => l.line_item_usage_type.endsWith('-output-tokens'))!;
  expect(output.line_item_unblended_cost).toBeCloseTo(0.2 * price.outputPerMillion, 9);
});

test('a call on a model id that is no profile of the stack bills untagged; failed and CountTokens calls bill nothing', () => {
  const lines = curLinesOfCalls([
    call({ modelId: `us.${HAIKU}` }),
    call({ status: 429, usage: undefined }),
    call({ operation: 'CountTokens' }),
  ], new Map());
  expect(lines.map((l) => l.line_item_resource_id)).toEqual([`us.${HAIKU}`, `us.${HAIKU}`]);
  expect(lines.every((l) => Object.keys(l.resource_tags).length === 0)).toBe(true);
});
