export * from './spend-port';
export * from './spend-estimate';
export * from './pending-spend';
export * from './settled-limits';
export * from './stored-reservation';
