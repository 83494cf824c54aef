// Writes the documents generated from the command table (client/cli/docs.ts): the man
// page dist/man/authctl.1 (package.json "man") on every build, and with --readme the
// README's CLI contract block (`npm run docs`; a test fails while it is stale).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderManPage, withContract } from '../dist/client/cli/docs.js';

mkdirSync('dist/man', { recursive: true });
writeFileSync('dist/man/authctl.1', renderManPage());
if (process.argv.includes('--readme')) writeFileSync('README.md', withContract(readFileSync('README.md', 'utf8')));
