// A checkout without `npm run build` has no dist/: say so in one line instead of a
// module-not-found stack trace (any other load failure is rethrown as it is).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

module.exports = function notBuilt(error) {
  if (fs.existsSync(path.join(__dirname, '..', 'dist', 'client', 'main.js'))) throw error;
  process.stderr.write('authctl is not built: run npm run build\n');
  process.exitCode = 1;
};
