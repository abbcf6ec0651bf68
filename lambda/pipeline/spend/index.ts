export * from './spend-port';
export * from './spend-estimate';
