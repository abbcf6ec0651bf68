export * from './cost-reporting';
export * from './cur-schema';
export * from './queries';
