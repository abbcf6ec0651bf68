import { ENV, PipelineConfigDocument } from '../../../shared/contract';
import { LOCAL_STATE_TABLE_TIMEOUT_MS, withLocalStateTableTimeouts } from '../../../packages/local/src/template/runtime-environment';

// Local runs (demo, chat, local invoke) wait longer for DynamoDB Local than a deployed function waits for DynamoDB:
// on a loaded machine the deployed 1.5 s ledger and 1 s breaker timeouts would turn a slow local JVM into 503s and
// into a tripped feature let through. Only those two timeouts change; everything else is the template's.

const BREAKER = { tableName: 'breaker', cacheTtlSeconds: 0, features: { chat: { critical: false, whenTripped: 'pause' } }, readTimeoutMs: 1_000 };

function envWith(config: object): Record<string, string> {
  return { [ENV.pipelineConfig]: JSON.stringify(config), OTHER: 'kept' };
}

const configOf = (env: Record<string, string>) => JSON.parse(env[ENV.pipelineConfig]) as PipelineConfigDocument;

describe('withLocalStateTableTimeouts', () => {
  test('gives the usage ledger and the breaker the local timeout, and keeps the rest of the configuration', () => {
    const env = envWith({ application: 'support', guards: { usageLimits: [{ scope: 'tenant', window: 'month', maxTokens: 5 }], ledgerTimeoutMs: 1_500, breaker: BREAKER } });

    const local = withLocalStateTableTimeouts(env);

    expect(configOf(local)).toEqual({
      application: 'support',
      guards: { usageLimits: [{ scope: 'tenant', window: 'month', maxTokens: 5 }], ledgerTimeoutMs: LOCAL_STATE_TABLE_TIMEOUT_MS, breaker: { ...BREAKER, readTimeoutMs: LOCAL_STATE_TABLE_TIMEOUT_MS } },
    });
    expect(local.OTHER).toBe('kept');
    // The template's environment is not changed in place.
    expect(configOf(env).guards!.ledgerTimeoutMs).toBe(1_500);
  });

  test('adds no breaker where the function has none', () => {
    const local = withLocalStateTableTimeouts(envWith({ guards: { usageLimits: [] } }));

    expect(configOf(local).guards).toEqual({ usageLimits: [], ledgerTimeoutMs: LOCAL_STATE_TABLE_TIMEOUT_MS });
  });

  test('leaves a function without guards, or without a pipeline configuration (the breaker handler), as it is', () => {
    const unguarded = envWith({ application: 'support' });
    const breakerHandler = { [ENV.breakerConfig]: '{}' };

    expect(withLocalStateTableTimeouts(unguarded)).toBe(unguarded);
    expect(withLocalStateTableTimeouts(breakerHandler)).toBe(breakerHandler);
  });
});
