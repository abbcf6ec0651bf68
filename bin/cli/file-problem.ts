import * as path from 'node:path';

/**
 * Why a file the user named could not be read, in words rather than `ENOENT`: a missing file shows the full path it
 * was looked for at, since a relative path is read from the current folder, not from the project's.
 */
export function fileProblem(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return `there is no file at ${path.resolve(file)}`;
    case 'EISDIR': return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return `a part of the path ${path.resolve(file)} is a file, not a folder`;
    default: return (error as Error)?.message ?? String(error);
  }
}
