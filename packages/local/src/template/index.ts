/**
 * Local runs from a synthesized template (the `sam local invoke -t` convention): reading the template, resolving
 * its intrinsic functions to local values, finding a function and its environment, creating the tables and buckets
 * that environment names.
 */
export { asTemplate, readTemplateFile, TemplateError } from './template';
export type { CloudFormationTemplate, TemplateResourceJson } from './template';
export { LOCAL_ACCOUNT, LOCAL_REGION, TemplateResolver } from './resolve';
export type { ResolverOptions } from './resolve';
export { findFunction, functionEntry, resolveFunction, templateFunctions } from './functions';
export type { ResolvedFunction, TemplateFunction } from './functions';
export { createTemplateResources, tableInput } from './local-resources';
export type { CreatedResources } from './local-resources';
