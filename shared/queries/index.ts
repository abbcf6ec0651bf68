/**
 * The cost queries' SQL, one text for both engines: Athena runs it in AWS (the saved queries, the tenant statement
 * view, the daily reconciliation) and DuckDB runs it locally (`genai-finops statement`, `genai-finops reconcile`, the
 * tests). Pure: strings and the CUR 2.0 columns they read, no SDK and no aws-cdk-lib.
 */
export * from './cur-schema';
export * from './sql';
export * from './meter';
export * from './reconciliation';
export * from './statement';
export * from './focus';
export * from './saved-queries';
export * from './reconciliation-verdict';
