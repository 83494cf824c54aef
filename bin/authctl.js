#!/usr/bin/env node
// The installed entry point: the compiled CLI does the rest.
const { cliMain } = await import('../dist/client/main.js');
cliMain();
