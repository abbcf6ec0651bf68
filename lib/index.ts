export * from './tagging';
export * from './inference';
export * from './functions';
export * from './data-stores';
export * from './workflows';
export * from './guardrails';
export * from './finops-checks';
export * from './cost-reporting';
