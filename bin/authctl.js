#!/usr/bin/env node
// The Node CLI's entry point (bin/authctl, or the native client when it hands a call over,
// runs it). CommonJS on purpose (bin/package.json): `authctl token` runs on every tool's hot
// path and goes straight to one bundled file, skipping the ES module loader; every other
// command loads the full CLI.
'use strict';
// `token --help` takes the full CLI: the help text stays out of the bundle.
const wantsHelp = process.argv.includes('--help') || process.argv.includes('-h');
if (process.argv[2] === 'token' && !wantsHelp) {
  let token;
  try {
    token = require('../dist/client/token.cjs');
  } catch (e) {
    require('./not-built.js')(e);
  }
  if (token) token.tokenMain(process.argv.slice(3));
} else {
  import('../dist/client/main.js').then((m) => m.cliMain(), require('./not-built.js'));
}
