/** Loading a function's handler from the code the template deploys, as a new Lambda container does. */
import * as path from 'node:path';
import type { LambdaHandler } from '../demo/handler-bundle';
import { installAwsLambdaGlobal } from './lambda-streaming';

/**
 * A fresh instance of `file`'s module (it reads the current environment at init: set it first) and its export
 * `exportName`, which must be a function.
 */
export function loadHandlerExport(file: string, exportName: string): LambdaHandler {
  // A path relative to the working folder (`cdk.out/asset.…`), not to this module, as `require` would read it.
  const resolved = require.resolve(path.resolve(file));
  delete require.cache[resolved];
  // Lambda's Node.js runtime provides `awslambda` before the module loads (a streaming handler calls it at load).
  installAwsLambdaGlobal();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(resolved) as Record<string, unknown>;
  delete require.cache[resolved];
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${file} exports no function '${exportName}' (the function's Handler names it).`);
  return handler as LambdaHandler;
}
