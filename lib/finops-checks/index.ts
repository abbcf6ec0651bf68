export { GenAiFinOpsChecks } from './finops-checks';
