// Bundles the `authctl token` fast path into one CommonJS file, dist/client/token.cjs
// (see client/token-main.ts for why). Placed beside dist/client/main.js so relative
// paths (the autostart's bin/authctl.js) resolve the same from both.
import { build } from 'esbuild';

await build({
  entryPoints: ['client/token-main.ts'],
  outfile: 'dist/client/token.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  // The bundle is CommonJS: give the code that asks import.meta.url this file's URL.
  banner: { js: "const __authctl_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__authctl_import_meta_url' },
  logLevel: 'warning',
});
