#!/usr/bin/env node
// docker runs `docker-credential-authctl <op>` for "credHelpers": same as `authctl docker-credential <op>`.
process.argv.splice(2, 0, 'docker-credential');
const { cliMain } = await import('../dist/client/main.js');
cliMain();
