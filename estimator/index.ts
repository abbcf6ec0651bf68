/**
 * The workload cost estimator (`genai-finops estimate`): a workload file's Bedrock cost, baseline against optimized,
 * the saving of each cost lever, Bedrock against SageMaker and the library's own running cost. Pure: no AWS client.
 */
export * from './workload';
export * from './estimate';
export * from './projection';
export * from './library-cost';
export * from './sagemaker';
export * from './near-limit';
export type { LeverConfig, PricedShare, CacheConfig, RequestCost } from './request-cost';
