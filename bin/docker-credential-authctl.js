#!/usr/bin/env node
// docker runs `docker-credential-authctl <op>` for "credHelpers": same as `authctl docker-credential <op>`.
'use strict';
process.argv.splice(2, 0, 'docker-credential');
import('../dist/client/main.js').then((m) => m.cliMain(), require('./not-built.js'));
