#!/usr/bin/env node
// The installed entry point. CommonJS on purpose (bin/package.json): `authctl token` runs
// on every tool's hot path and goes straight to one bundled file, skipping the ES module
// loader; every other command loads the full CLI.
'use strict';
// `token --help` takes the full CLI: the help text stays out of the bundle.
const wantsHelp = process.argv.includes('--help') || process.argv.includes('-h');
if (process.argv[2] === 'token' && !wantsHelp) {
  require('../dist/client/token.cjs').tokenMain(process.argv.slice(3));
} else {
  import('../dist/client/main.js').then((m) => m.cliMain());
}
