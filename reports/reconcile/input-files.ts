import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** A file or folder given to the command is missing or not of the shape it must be; the message names it. */
export class InputFileError extends Error {}

/**
 * The files a path names: the file itself, or every file under a folder (recursively) whose name ends with one of
 * `extensions`, sorted. Throws naming the path when it does not exist or holds no such file.
 */
export function inputFiles(paths: ReadonlyArray<string>, extensions: ReadonlyArray<string>, what: string): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new InputFileError(`${what}: ${p} does not exist`);
    }
    if (stat.isFile()) {
      files.push(p);
      continue;
    }
    const found = walk(p).filter((f) => extensions.some((e) => f.toLowerCase().endsWith(e)));
    if (found.length === 0) throw new InputFileError(`${what}: ${p} holds no ${extensions.join(', ')} file`);
    files.push(...found);
  }
  return files;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]))
    .sort();
}
