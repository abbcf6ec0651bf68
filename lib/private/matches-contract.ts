/*
 * The public API declares its options as string enums and its props as interfaces (jsii needs them), while the
 * runtime reads the same values and fields from the contract (`shared/contract`). The two cannot share one
 * declaration, so each public declaration is proven equal to its contract counterpart at compile time, beside it:
 *
 *   const ROUTING_TIER_IS_CONTRACT: MatchesContract<`${RoutingTier}`, ModelTier> = true;
 *
 * A value added to one side only turns the type into an object naming it, and the `true` no longer compiles.
 */

/**
 * `true` when the public side (an enum's values, `${MyEnum}`, or an interface's keys) and the contract's union hold
 * the same strings; otherwise an object type whose fields name what each side lacks, which tsc prints in its error.
 */
export type MatchesContract<PublicValue extends string, ContractValue extends string> =
  [Exclude<PublicValue, ContractValue>, Exclude<ContractValue, PublicValue>] extends [never, never]
    ? true
    : { readonly notInContract: Exclude<PublicValue, ContractValue>; readonly notInPublic: Exclude<ContractValue, PublicValue> };
