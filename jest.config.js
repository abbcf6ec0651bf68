/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking runs once in `tsc --noEmit`; jest only transpiles (isolatedModules), which keeps the suite fast.
    '^.+\\.tsx?$': 'ts-jest',
  },
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  testTimeout: 60000,
  // Most suites wait on local services (DynamoDB Local, the simulator, Chromium) rather than compute: two workers
  // on a 2-core machine keep both cores busy instead of one.
  maxWorkers: 2,
};
