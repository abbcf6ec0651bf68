// Jest snapshot serializer for CDK templates: asset hashes change with every handler or dependency change, so
// snapshots would churn without telling anything. Replaces each 64-hex hash (alone or inside a file name) with a
// fixed marker. Use: `snapshotSerializers: ['genai-finops-constructs/snapshot-serializer']` in jest.config.js.
const HASH = /[0-9a-f]{64}/g;
module.exports = {
  test: (value) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value, config, indentation, depth, refs, printer) =>
    printer(value.replace(HASH, '[ASSET HASH]'), config, indentation, depth, refs),
};
