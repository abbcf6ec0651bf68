/**
 * Bedrock against a SageMaker real-time endpoint for the same model calls, and the break-even volume.
 *
 * Cost model: the endpoint is billed per instance-hour and always on (`instances x hourlyUsd x hoursPerMonth`,
 * whatever the traffic), plus an optional charge per token (a model package's licence fee, the article's "token
 * costs for some models"). It is capacity-bounded: when a per-instance throughput is given, a volume above the
 * fleet's capacity needs more instances, each billed in full. Bedrock is billed per token, with nothing when idle.
 */
import { attoRatioToUsd, cmp, div, fromNumber, mul, Ratio, ratio, sub, toNumber } from './exact';
import type { SageMakerSettings } from './workload';

const ATTO = ratio(10n ** 18n);
const SECONDS_PER_HOUR = ratio(3600n);

/** The comparison, monthly. */
export interface SageMakerComparison {
  readonly instanceType?: string;
  readonly bedrockMonthlyUsd: number;
  readonly sagemakerMonthlyUsd: number;
  /** Instance-hours part of the SageMaker cost. */
  readonly sagemakerInstanceUsd: number;
  /** Per-token part of the SageMaker cost. */
  readonly sagemakerTokenUsd: number;
  /** Instances billed: the configured ones, or more when the volume exceeds their capacity. */
  readonly instancesBilled: number;
  /** Model calls a month the configured fleet can serve; undefined without a throughput figure. */
  readonly capacityRequestsPerMonth?: number;
  /** Fleet utilisation by the workload (model calls / capacity); undefined without a throughput figure. */
  readonly utilization?: number;
  readonly cheaper: 'bedrock' | 'sagemaker' | 'equal';
  /** How much cheaper the cheaper one is, as a fraction of the dearer one's cost. */
  readonly cheaperByFraction: number;
  /**
   * Model calls a month from which the configured fleet costs less than Bedrock; undefined when it never does
   * (see {@link breakEvenReason}).
   */
  readonly breakEvenRequestsPerMonth?: number;
  /** The same volume in tokens (input + output) a month. */
  readonly breakEvenTokensPerMonth?: number;
  readonly breakEvenReason: string;
}

/**
 * Compares the endpoint with Bedrock.
 *
 * @param bedrockPerCallAtto Bedrock's expected cost of one model call, attodollars
 * @param callsPerMonth model calls a month (response-cache hits call no model on either side)
 * @param tokensPerCall input + output tokens of one model call
 */
export function compareSageMaker(settings: SageMakerSettings, bedrockPerCallAtto: Ratio, callsPerMonth: Ratio, tokensPerCall: number): SageMakerComparison {
  const instanceMonthAtto = mul(mul(fromNumber(settings.hourlyUsd), fromNumber(settings.hoursPerMonth)), ATTO);
  const perCallSageMakerAtto = mul(mul(fromNumber(settings.perMillionTokensUsd), ratio(BigInt(tokensPerCall), 1_000_000n)), ATTO);

  // Capacity of one instance in model calls a month.
  let perInstanceCapacity: Ratio | undefined;
  const seconds = mul(fromNumber(settings.hoursPerMonth), SECONDS_PER_HOUR);
  if (settings.requestsPerSecond !== undefined) perInstanceCapacity = mul(fromNumber(settings.requestsPerSecond), seconds);
  else if (settings.tokensPerSecond !== undefined && tokensPerCall > 0) perInstanceCapacity = div(mul(fromNumber(settings.tokensPerSecond), seconds), ratio(BigInt(tokensPerCall)));

  let instancesBilled = settings.instances;
  if (perInstanceCapacity !== undefined && perInstanceCapacity.n > 0n) {
    const needed = div(callsPerMonth, perInstanceCapacity);
    const ceil = (needed.n + needed.d - 1n) / needed.d;
    instancesBilled = Math.max(settings.instances, Number(ceil));
  }
  const instanceAtto = mul(instanceMonthAtto, ratio(BigInt(instancesBilled)));
  const tokenAtto = mul(perCallSageMakerAtto, callsPerMonth);
  const sagemakerAtto = ratio(instanceAtto.n * tokenAtto.d + tokenAtto.n * instanceAtto.d, instanceAtto.d * tokenAtto.d);
  const bedrockAtto = mul(bedrockPerCallAtto, callsPerMonth);

  const order = cmp(bedrockAtto, sagemakerAtto);
  const cheaper = order < 0 ? 'bedrock' : order > 0 ? 'sagemaker' : 'equal';
  const dearer = order < 0 ? sagemakerAtto : bedrockAtto;
  const cheaperByFraction = dearer.n === 0n ? 0 : toNumber(div(sub(dearer, order < 0 ? bedrockAtto : sagemakerAtto), dearer));

  // Break-even for the configured fleet: calls x (bedrock - sagemaker per call) = fixed cost.
  const fleetAtto = mul(instanceMonthAtto, ratio(BigInt(settings.instances)));
  const margin = sub(bedrockPerCallAtto, perCallSageMakerAtto);
  const fleetCapacity = perInstanceCapacity !== undefined ? mul(perInstanceCapacity, ratio(BigInt(settings.instances))) : undefined;
  let breakEven: Ratio | undefined;
  let breakEvenReason: string;
  if (margin.n <= 0n) {
    breakEvenReason = 'none: a SageMaker model call costs at least as much in per-token charges as the whole Bedrock call, so the instance-hours are never paid back';
  } else {
    const volume = div(fleetAtto, margin);
    if (fleetCapacity !== undefined && cmp(volume, fleetCapacity) > 0) {
      // volume > instances x capacity  <=>  one instance at full load saves less than its month costs: more
      // instances never help.
      breakEvenReason = `none within capacity: the fleet would break even at ${Math.ceil(toNumber(volume)).toLocaleString('en-US')} calls a month but serves only ${Math.floor(toNumber(fleetCapacity)).toLocaleString('en-US')}; even fully loaded, an instance costs more than the Bedrock calls it takes over`;
    } else {
      breakEven = volume;
      breakEvenReason = `at ${Math.ceil(toNumber(volume)).toLocaleString('en-US')} model calls a month the always-on fleet (${settings.instances} x ${settings.instanceType ?? 'instance'}) costs what Bedrock does; above it SageMaker is cheaper`;
    }
  }

  return {
    ...(settings.instanceType !== undefined ? { instanceType: settings.instanceType } : {}),
    bedrockMonthlyUsd: attoRatioToUsd(bedrockAtto),
    sagemakerMonthlyUsd: attoRatioToUsd(sagemakerAtto),
    sagemakerInstanceUsd: attoRatioToUsd(instanceAtto),
    sagemakerTokenUsd: attoRatioToUsd(tokenAtto),
    instancesBilled,
    ...(fleetCapacity !== undefined ? { capacityRequestsPerMonth: toNumber(fleetCapacity), utilization: fleetCapacity.n === 0n ? 0 : toNumber(div(callsPerMonth, fleetCapacity)) } : {}),
    cheaper,
    cheaperByFraction,
    ...(breakEven !== undefined ? { breakEvenRequestsPerMonth: toNumber(breakEven), breakEvenTokensPerMonth: toNumber(mul(breakEven, ratio(BigInt(tokensPerCall)))) } : {}),
    breakEvenReason,
  };
}
