export * from './tagging';
export * from './inference';
export * from './functions';
export * from './workflows';
