#!/usr/bin/env node
// git runs `git-credential-authctl <op>` for credential.helper=authctl: same as `authctl git-credential <op>`.
'use strict';
process.argv.splice(2, 0, 'git-credential');
import('../dist/client/main.js').then((m) => m.cliMain(), require('./not-built.js'));
