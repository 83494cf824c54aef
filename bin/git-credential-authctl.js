#!/usr/bin/env node
// git runs `git-credential-authctl <op>` for credential.helper=authctl: same as `authctl git-credential <op>`.
process.argv.splice(2, 0, 'git-credential');
const { cliMain } = await import('../dist/client/main.js');
cliMain();
