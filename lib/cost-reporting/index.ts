// The construct and its props. The query texts and the CUR column list are internal (test/ and the construct use
// them from their modules): their shapes are not jsii-friendly and need not be public.
export { CostReporting } from './cost-reporting';
export type { CostReportingProps } from './cost-reporting';
export { MeterArchive } from './meter-archive';
export type { MeterArchiveProps } from './meter-archive';
export { MeterTable } from './meter-table';
export type { MeterTableProps } from './meter-table';
export { MeterReconciliation } from './meter-reconciliation';
export type { MeterReconciliationProps } from './meter-reconciliation';
export { TenantStatementView } from './tenant-statement-view';
export type { TenantStatementViewProps } from './tenant-statement-view';
