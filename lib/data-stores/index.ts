export * from './response-cache-table';
export * from './embedding-cache';
export { SHARED_STORE_FEATURE } from '../private/cache-table';
