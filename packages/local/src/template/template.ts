/**
 * A synthesized CloudFormation template as the local tools read it (`cdk.out/<Stack>.template.json`): reading one
 * from a file, and refusing, with a reason, a file that is not a template.
 */
import { readFileSync } from 'node:fs';
import { TemplateError } from '../../../../lib/finops-checks/template-resolver';

// A file or value that is not a usable template, or a value it does not define: one error class with the resolver.
export { TemplateError };

/** One resource of a template. */
export interface TemplateResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

/** The parts of a template the local tools use. */
export interface CloudFormationTemplate {
  readonly Resources: Readonly<Record<string, TemplateResourceJson>>;
  readonly Parameters?: Readonly<Record<string, { readonly Type?: string; readonly Default?: unknown }>>;
  readonly Mappings?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
}


/** Checks that `value` is a CloudFormation template (an object whose `Resources` map logical ids to typed resources). */
export function asTemplate(value: unknown, source: string): CloudFormationTemplate {
  const hint = 'expected a synthesized CloudFormation template such as cdk.out/<Stack>.template.json (run `npx cdk synth` first)';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TemplateError(`${source} is not a CloudFormation template: it holds no JSON object; ${hint}.`);
  const resources = (value as { Resources?: unknown }).Resources;
  if (!resources || typeof resources !== 'object' || Array.isArray(resources)) {
    throw new TemplateError(`${source} is not a CloudFormation template: it has no "Resources" object; ${hint}.`);
  }
  for (const [id, resource] of Object.entries(resources as Record<string, unknown>)) {
    if (!resource || typeof resource !== 'object' || typeof (resource as { Type?: unknown }).Type !== 'string') {
      throw new TemplateError(`${source} is not a CloudFormation template: resource ${id} has no "Type"; ${hint}.`);
    }
  }
  return value as CloudFormationTemplate;
}

/** Reads and checks a template file. */
export function readTemplateFile(file: string): CloudFormationTemplate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(`cannot read the template file '${file}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TemplateError(`the template file '${file}' is not valid JSON (${(error as Error).message}); expected a synthesized CloudFormation template such as cdk.out/<Stack>.template.json.`);
  }
  return asTemplate(json, `the template file '${file}'`);
}
