/**
 * `genai-finops assess <cdk.out | template.json>`: the FinOps maturity of any synthesized CDK app, from its
 * templates alone (no AWS call), with each control found or missing and the construct that adds it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { assessMaturity, MaturityAssessment } from '../../lib/finops-checks/maturity';
import { FINOPS_RULES } from '../../lib/finops-checks/rules';
import { templateModel, TemplateModel } from '../../lib/finops-checks/template-model';
import { intOption, parseArgs, UsageError } from '../../shared/cli/args';
import { fileProblem } from './file-problem';
import { ASSESS_HELP } from './help';

/** Runs the command; resolves to the exit code: 0, or 1 when below `--min-level`. */
export async function assessCommand(argv: ReadonlyArray<string>, out: (text: string) => Promise<void>, log: (line: string) => void): Promise<number> {
  const { options, positionals } = parseArgs(argv, { 'json': 'boolean', 'min-level': 'string' }, 'assess');
  if (options.help) {
    await out(ASSESS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name a cloud assembly folder (cdk.out) or a template file' : `unexpected argument '${positionals[1]}'`, 'assess');
  const minLevel = intOption(options['min-level'], 'min-level', 0, 0, 4, 'assess');
  const templates = readTemplates(positionals[0]);
  const assessment = assessMaturity(templates.map((t) => t.model));
  await out(options.json ? `${JSON.stringify({ ...assessment, templates: templates.map((t) => t.name), minLevel }, null, 2)}\n` : formatAssessment(assessment, templates.map((t) => t.name)));
  if (assessment.level < minLevel) {
    log(`maturity level ${assessment.level} is below --min-level ${minLevel}`);
    return 1;
  }
  return 0;
}

/** The templates of a cloud assembly (from its manifest) or one template file. */
function readTemplates(target: string): Array<{ name: string; model: TemplateModel }> {
  if (!existsSync(target)) throw new UsageError(`'${target}' does not exist (looked for at ${path.resolve(target)}). Fix: ${TEMPLATE_FIX}`, 'assess');
  if (statSync(target).isDirectory()) {
    const manifestPath = path.join(target, 'manifest.json');
    if (!existsSync(manifestPath)) throw new UsageError(`'${target}' has no manifest.json: is it a cloud assembly (cdk synth's output)?`, 'assess');
    const manifest = readJson(manifestPath) as { artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }> };
    const files = Object.values(manifest.artifacts ?? {})
      .filter((a) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
      .map((a) => a.properties!.templateFile!);
    if (files.length === 0) throw new UsageError(`'${target}' holds no stack template`, 'assess');
    return files.map((file) => ({ name: file, model: templateModel(asTemplate(readJson(path.join(target, file)), path.join(target, file))) }));
  }
  return [{ name: path.basename(target), model: templateModel(asTemplate(readJson(target), target)) }];
}

const TEMPLATE_FIX = "pass the cloud assembly folder (cdk.out, after 'cdk synth') or one of its <Stack>.template.json files";

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read '${file}': ${fileProblem(file, error)}. Fix: ${TEMPLATE_FIX}`, 'assess');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`'${file}' is not JSON (${(error as Error).message.split('\n')[0]}), so not a synthesized template. Fix: ${TEMPLATE_FIX}`, 'assess');
  }
}

// A CloudFormation template's one required section is Resources; JSON without it (a package.json, a workload
// file) would otherwise be assessed as an app with no controls, level 0, and exit 0.
function asTemplate(json: unknown, file: string): object {
  const resources = (json as { Resources?: unknown } | null)?.Resources;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw new UsageError(`'${file}' is JSON but not a CloudFormation template: it has no Resources section. Fix: ${TEMPLATE_FIX}`, 'assess');
  }
  return json;
}

function formatAssessment(a: MaturityAssessment, templates: ReadonlyArray<string>): string {
  const lines = [`FinOps maturity: level ${a.level} (${a.levelName}), from ${templates.length} template${templates.length === 1 ? '' : 's'}`, ''];
  for (const level of [1, 2, 3, 4]) {
    for (const c of a.controls.filter((control) => control.level === level)) {
      lines.push(`  ${c.present ? '[x]' : '[ ]'} L${c.level} ${c.name}${c.present ? '' : ` — add: ${c.addedBy}`}`);
    }
  }
  const findings = Object.entries(a.findings);
  lines.push('', findings.length === 0 ? 'FinOps rule pack: no findings.' : 'FinOps rule pack findings (GenAiFinOpsChecks, added to the app, names each resource):');
  for (const [id, count] of findings) {
    const rule = FINOPS_RULES.find((r) => r.id === id);
    lines.push(`  ${id} ×${count}: ${rule?.title ?? ''}.`, `    Fix: ${rule?.fix ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}
