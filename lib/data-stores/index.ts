export * from './response-cache-table';
export * from './embedding-cache';
