// The construct and its props. The query texts and the CUR column list are internal (test/ and the construct use
// them from their modules): their shapes are not jsii-friendly and need not be public.
export { CostReporting } from './cost-reporting';
export type { CostReportingProps } from './cost-reporting';
