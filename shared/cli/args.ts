/**
 * A small argv parser: `--name value`, `--name=value`, boolean `--flag`, `-h`. Every mistake is a
 * {@link UsageError}, which the CLI reports with exit code 2 and no stack trace.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';

// A brand shared by every copy of this module: the companion package genai-finops-local bundles its own copy, and
// the CLI must still recognise the usage errors its commands throw (exit 2, not 1).
const USAGE_ERROR = Symbol.for('genai-finops.UsageError');

/** A mistake in how the CLI was called. `command` names the help to point to. */
export class UsageError extends Error {
  /** Whether `error` is a UsageError of any copy of this module. */
  static is(error: unknown): error is UsageError {
    return error instanceof UsageError || (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[USAGE_ERROR] === true);
  }

  constructor(message: string, public readonly command?: string) {
    super(message);
    this.name = 'UsageError';
    Object.defineProperty(this, USAGE_ERROR, { value: true });
  }
}

/** The options a command accepts: each a string or a boolean flag. */
export type OptionSpec = Readonly<Record<string, 'string' | 'boolean'>>;

/** Parsed options and the remaining positional arguments. */
export interface ParsedArgs {
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: ReadonlyArray<string>;
}

/** Parses `argv` against `spec`; `--help`/`-h` are always accepted. */
export function parseArgs(argv: ReadonlyArray<string>, spec: OptionSpec, command: string): ParsedArgs {
  const options: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      options.help = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option '${arg}'`, command);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option '--${name}'`, command);
    if (kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`, command);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`option '--${name}' needs a value`, command);
      i++;
    }
    if (value === '') throw new UsageError(`option '--${name}' needs a value`, command);
    if (options[name] !== undefined) throw new UsageError(`option '--${name}' is given twice`, command);
    options[name] = value;
  }
  return { options, positionals };
}

/**
 * The subcommand of `genai-finops <command> <subcommand> ...` (`local invoke`, `breaker reset`): `'help'` when the
 * command's help is asked for, else the arguments after the subcommand. A missing or unknown one is a usage error.
 */
export function subcommandArgs(argv: ReadonlyArray<string>, command: string, subcommand: string): ReadonlyArray<string> | 'help' {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help' || sub === 'help') return 'help';
  if (sub === undefined) throw new UsageError(`missing subcommand: use 'genai-finops ${command} ${subcommand}'`, command);
  if (sub !== subcommand) throw new UsageError(`unknown subcommand '${command} ${sub}'; the only one is '${command} ${subcommand}'`, command);
  return rest;
}

/** A whole number option within bounds, or the default. */
export function intOption(value: string | boolean | undefined, name: string, fallback: number, min: number, max: number, command: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${String(value)}'`, command);
  }
  return n;
}

/** `--html FILE`: checked before the command does its work, so that a wrong path fails at once. */
export function htmlFileOption(file: string | undefined, command: string): string | undefined {
  if (file === undefined) return undefined;
  const resolved = path.resolve(file);
  if (statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--html needs a file name, and '${file}' is a directory`, command);
  if (!statSync(path.dirname(resolved), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--html: the directory of '${file}' does not exist`, command);
  return resolved;
}
