// The serializer the package ships (genai-finops-constructs/snapshot-serializer), used by this repository's own
// snapshots so that what consumers get is what is tested here.
module.exports = require('../../snapshot-serializer');
