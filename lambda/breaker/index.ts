export * from './config';
export * from './decide';
export * from './notifications';
export * from './state';
export * from './state-store';
