/**
 * The Lambda functions of a template, as `sam local invoke -t` finds them: by logical id (or by the construct path
 * `cdk synth` records in `aws:cdk:path`), with the environment the template gives them resolved, and the code
 * the template deploys (the asset folder `cdk synth` wrote beside the template).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { TemplateResolver } from './resolve';
import { CloudFormationTemplate, TemplateError } from './template';

const FUNCTION_TYPE = 'AWS::Lambda::Function';

/** One function of a template. */
export interface TemplateFunction {
  readonly logicalId: string;
  /** The construct path from `aws:cdk:path` metadata (e.g. `Stack/Chat/Handler/Resource`), when synthesized with it. */
  readonly constructPath?: string;
}

/** A function with what it runs with. */
export interface ResolvedFunction extends TemplateFunction {
  /** Its name (FunctionName, else the logical id). */
  readonly functionName: string;
  /** Its Handler property (`index.handler`). */
  readonly handler: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** The environment the template gives it, every intrinsic resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** Logical ids of the resources its environment refers to. */
  readonly referenced: ReadonlyArray<string>;
  /** The code the template deploys, when it is an asset folder `cdk synth` wrote beside the template. */
  readonly assetHash?: string;
}

/** The template's functions, in template order. */
export function templateFunctions(template: CloudFormationTemplate): TemplateFunction[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === FUNCTION_TYPE)
    .map(([logicalId, r]) => {
      const constructPath = r.Metadata?.['aws:cdk:path'];
      return typeof constructPath === 'string' ? { logicalId, constructPath } : { logicalId };
    });
}

/**
 * The function named `id`: a logical id, or a construct path (with or without the trailing `/Resource`, with or
 * without the stack's name in front). The error lists the functions there are.
 */
export function findFunction(template: CloudFormationTemplate, id: string, source: string): TemplateFunction {
  const functions = templateFunctions(template);
  const trimmed = id.replace(/\/+$/, '');
  // `Chat/Handler` names `Stack/Chat/Handler/Resource/Resource` (a construct, its function, the function's resource).
  const withoutResource = (p: string) => p.replace(/(?:\/Resource)+$/, '');
  const wanted = withoutResource(trimmed);
  const matches = (f: TemplateFunction) => {
    if (f.logicalId === trimmed) return true;
    if (!f.constructPath) return false;
    const full = withoutResource(f.constructPath);
    return full === wanted || full.slice(full.indexOf('/') + 1) === wanted;
  };
  const found = functions.find(matches);
  if (found) return found;
  if (template.Resources[trimmed]) {
    throw new TemplateError(`${trimmed} in ${source} is a ${template.Resources[trimmed].Type}, not a Lambda function. ${listFunctions(functions)}`);
  }
  throw new TemplateError(`${source} has no function '${id}'. ${listFunctions(functions)}`);
}

function listFunctions(functions: ReadonlyArray<TemplateFunction>): string {
  if (functions.length === 0) return 'It declares no Lambda function (AWS::Lambda::Function).';
  return `Its functions: ${functions.map((f) => (f.constructPath ? `${f.logicalId} (${f.constructPath})` : f.logicalId)).join(', ')}.`;
}

/** The function's properties and environment, resolved. */
export function resolveFunction(resolver: TemplateResolver, fn: TemplateFunction): ResolvedFunction {
  const properties = resolver.template.Resources[fn.logicalId].Properties ?? {};
  const { result: variables, referenced } = resolver.tracking(
    () => (resolver.resolve((properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>,
  );
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    environment[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const code = properties.Code as { S3Key?: unknown; ZipFile?: unknown } | undefined;
  const key = code?.S3Key === undefined ? undefined : resolver.resolve(code.S3Key);
  const assetHash = typeof key === 'string' ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
  return {
    ...fn,
    functionName: resolver.physicalName(fn.logicalId),
    handler: typeof properties.Handler === 'string' ? properties.Handler : 'index.handler',
    memorySize: Number(resolver.resolve(properties.MemorySize ?? 128)),
    timeoutSeconds: Number(resolver.resolve(properties.Timeout ?? 3)),
    environment,
    referenced,
    ...(assetHash ? { assetHash } : {}),
  };
}

/**
 * The module file and export the function runs: `<dir of the template>/asset.<hash>/<file>.js` and its export, as
 * `cdk synth` stages the code of `lambda.Code.fromAsset` beside the template.
 */
export function functionEntry(fn: ResolvedFunction, templateFile: string): { readonly file: string; readonly exportName: string } {
  const dot = fn.handler.lastIndexOf('.');
  const [module, exportName] = dot > 0 ? [fn.handler.slice(0, dot), fn.handler.slice(dot + 1)] : [fn.handler, 'handler'];
  if (!fn.assetHash) {
    throw new TemplateError(`${fn.logicalId}'s code is not an asset \`cdk synth\` staged beside the template (Code.S3Key is not <hash>.zip): the local tools run only asset code.`);
  }
  const dir = path.join(path.dirname(templateFile), `asset.${fn.assetHash}`);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => path.join(dir, `${module}${ext}`)).find((f) => existsSync(f));
  if (!file) {
    throw new TemplateError(`${fn.logicalId}'s code is not beside the template: no ${path.join(`asset.${fn.assetHash}`, `${module}.js`)} in ${path.dirname(templateFile)}. `
      + 'Run `npx cdk synth` again (it stages the assets into cdk.out) and point --template at cdk.out/<Stack>.template.json.');
  }
  return { file, exportName };
}
