/** `authctl login`'s entry in the command table (client/command-table.ts). */
import { AUDIENCE_FLAG, JSON_FLAG, PROFILE_FLAG, SCOPE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const LOGIN_SPEC = {
  name: 'login',
  summary: 'Sign in to a profile with the device flow; the agent keeps the refresh token',
  usage: [
    'login [--profile P] [--issuer URL --client-id ID] [--scope S]... [--audience A] [--no-browser] [--json]',
    'login --profile P --privileged',
  ],
  flags: [
    PROFILE_FLAG,
    { name: 'issuer', type: 'string', value: 'URL', check: 'url', description: 'sign in to this issuer without a saved profile (with --client-id)', example: 'https://idp.example.com' },
    { name: 'client-id', type: 'string', value: 'ID', description: 'the OAuth client id (with --issuer)', example: 'authctl-cli' },
    SCOPE_FLAG,
    AUDIENCE_FLAG,
    { name: 'no-browser', type: 'boolean', description: 'print the URL and code, do not open a browser' },
    { ...JSON_FLAG, description: 'print the agent\'s login events as JSON lines on stdout' },
    { name: 'privileged', type: 'boolean', description: 'the second sign-in for a separateGrant profile\'s privileged scopes' },
  ],
  details: 'Prints the code and URL on stderr, opens a browser unless --no-browser, an SSH session or no display, and counts down to the code\'s expiry on a terminal. Ctrl-C cancels (exit 130).',
  examples: [
    { command: 'authctl login', description: 'sign in to the default profile' },
    { command: 'authctl login --profile work --no-browser', description: 'sign in from another device' },
    { command: 'authctl login --profile work --privileged', description: 'the privileged sign-in of a separateGrant profile' },
  ],
  exits: [0, 2, 4, 5, 6, 7, 130],
  related: ['logout', 'status', 'profile add', 'token'],
  group: 'Sign in',
} as const satisfies CommandSpec;
