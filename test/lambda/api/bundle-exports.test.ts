import * as path from 'node:path';
import { installAwsLambdaGlobal, isStreamingHandler } from '../../../packages/local/src/template/lambda-streaming';

// The API's bundle loads without its environment (the container is composed on the first request), so it is the
// bundle the build's export shape is proven on; every handler bundle gets the same footer (scripts/build.mjs).
const bundle = path.join(__dirname, '..', '..', '..', 'assets', 'handlers', 'api', 'index.js');
const streamingBundle = path.join(__dirname, '..', '..', '..', 'assets', 'handlers', 'api-stream', 'index.js');

describe('the bundled API handler\'s export (assets/handlers/api)', () => {
  test('is a plain data property that OpenTelemetry\'s Lambda instrumentation (the ADOT layer) can wrap', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(bundle) as { handler: unknown };
      const original = exported.handler;
      expect(typeof original).toBe('function');
      expect(Object.getOwnPropertyDescriptor(exported, 'handler')).toMatchObject({ writable: true, configurable: true });

      // What shimmer (the instrumentation's wrapper) does to the export: redefine it around the original.
      const wrapped = (...args: unknown[]) => (original as (...a: unknown[]) => unknown)(...args);
      Object.defineProperty(exported, 'handler', { configurable: true, enumerable: true, writable: true, value: wrapped });

      expect(exported.handler).toBe(wrapped);
    });
  });

  test('the streaming API\'s export too, and it keeps the mark that makes Lambda stream its response', () => {
    // `awslambda` is the runtime's global, which the bundle uses at load.
    installAwsLambdaGlobal();
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(streamingBundle) as { handler: unknown };

      expect(Object.getOwnPropertyDescriptor(exported, 'handler')).toMatchObject({ writable: true, configurable: true });
      expect(isStreamingHandler(exported.handler)).toBe(true);
    });
  });
});
