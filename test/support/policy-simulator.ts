/**
 * Puts signal-path requests to an IAM policy simulator, `@cloud-copilot/iam-simulate` (AGPL-3.0: a test-only
 * devDependency, never shipped or linked into the package). The library's own evaluator
 * (lib/finops-checks/policy-evaluator.ts) judges the same requests at synthesis; the tests hold it to agree.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AccessDecision, AccessPolicies, AccessRequest, evaluateAccess } from '../../lib/finops-checks/policy-evaluator';
import { SignalPathCheck, signalPathChecks, SignalPathKind } from '../../lib/finops-checks/signal-paths';

/** May `request.principal` do `request.action` on `request.resource` with `request.context`, under `policies`? */
export async function simulate(request: AccessRequest, policies: AccessPolicies): Promise<AccessDecision> {
  const result = await runSimulation({
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: { ...request.context },
    },
    identityPolicies: (policies.identityPolicies ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(policies.resourcePolicy ? { resourcePolicy: policies.resourcePolicy } : {}),
  }, {});
  if (result.resultType === 'error') throw new Error(`the simulator refused the request ${JSON.stringify(request)}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`expected one resource, got ${result.resultType} for ${request.resource}`);
  return result.overallResult as AccessDecision;
}

/** A signal-path check with the simulator's decision. */
export interface SimulatedCheck {
  readonly check: SignalPathCheck;
  readonly decision: AccessDecision;
}

/** Every signal-path check of `template`, decided by the simulator. */
export async function simulateSignalPaths(template: object): Promise<SimulatedCheck[]> {
  const checks = signalPathChecks(template as any);
  return Promise.all(checks.map(async (check) => ({ check, decision: await simulate(check.request, check.policies) })));
}

/**
 * The checks the simulator decides otherwise than expected, as readable lines (empty when every path the guardrails
 * rely on is allowed and every request that must be refused is refused).
 */
export function unexpected(simulated: ReadonlyArray<SimulatedCheck>): string[] {
  return simulated.filter(({ check, decision }) => (decision === 'Allowed') !== (check.expect === 'allow'))
    .map(({ check, decision }) => `${check.description}: ${decision}, expected ${check.expect}`);
}

/**
 * Asserts, with the simulator, that every signal path of `template` is allowed and every request that must be refused
 * is refused; that the library's evaluator (which the rule pack and `assess` use) decides every request as the
 * simulator does; and that the paths of `kinds` are there. Returns the simulated checks.
 */
export async function expectSignalPathsHold(template: object, kinds: ReadonlyArray<SignalPathKind>): Promise<SimulatedCheck[]> {
  const simulated = await simulateSignalPaths(template);
  expect(unexpected(simulated)).toEqual([]);
  const disagreements = simulated.filter(({ check, decision }) => evaluateAccess(check.request, check.policies) !== decision)
    .map(({ check, decision }) => `${check.description}: simulator ${decision}, evaluator ${evaluateAccess(check.request, check.policies)}`);
  expect(disagreements).toEqual([]);
  const allowed = new Set(simulated.filter(({ check }) => check.expect === 'allow').map(({ check }) => check.path));
  expect([...allowed].filter((k) => kinds.includes(k)).sort()).toEqual([...kinds].sort());
  return simulated;
}
