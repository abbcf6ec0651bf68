import * as fs from 'fs';
import * as path from 'path';
import { parseWorkloadText, Workload } from '../../estimator';

/** The repository's examples/workloads folder. */
export const WORKLOADS_DIR = path.join(__dirname, '..', '..', 'examples', 'workloads');

/** Reads an example workload file. */
export function exampleWorkload(name: string): Workload {
  return parseWorkloadText(fs.readFileSync(path.join(WORKLOADS_DIR, name), 'utf8'), `examples/workloads/${name}`);
}

/** The parsed JSON of an example workload file, to vary one field. */
export function exampleJson(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(WORKLOADS_DIR, name), 'utf8')) as Record<string, unknown>;
}
