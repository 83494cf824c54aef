/** `authctl login`'s entry in the command table (client/command-table.ts). */
import { AUDIENCE_FLAG, JSON_FLAG, PROFILE_FLAG, SCOPE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const LOGIN_SPEC = {
  name: 'login',
  summary: 'Sign in to a profile in the browser or with a device code; the agent keeps the refresh token',
  usage: [
    'login [--profile P] [--issuer URL --client-id ID] [--scope S]... [--audience A] [--flow auto|browser|device] [--web | --no-browser] [--no-qr] [--json] [--verbose]',
    'login --profile P --privileged',
  ],
  flags: [
    PROFILE_FLAG,
    { name: 'issuer', type: 'string', value: 'URL', check: 'url', description: 'sign in to this issuer without a saved profile (with --client-id)', example: 'https://idp.example.com' },
    { name: 'client-id', type: 'string', value: 'ID', description: 'the OAuth client id (with --issuer)', example: 'authctl-cli' },
    SCOPE_FLAG,
    AUDIENCE_FLAG,
    {
      name: 'flow',
      type: 'string',
      value: 'FLOW',
      choices: ['auto', 'browser', 'device'],
      default: 'auto',
      description: "how to sign in: browser (authorization code + PKCE, a redirect to this machine), device (a code typed on any device), or auto (the profile's flow; else browser where one can open, device otherwise)",
      example: 'device',
    },
    { name: 'web', type: 'boolean', description: 'open the browser at once, without asking to press Enter' },
    { name: 'no-browser', type: 'boolean', description: 'print the URL (and code), do not open a browser' },
    { name: 'no-qr', type: 'boolean', description: 'no QR code of the device-flow page on the terminal' },
    { ...JSON_FLAG, description: 'print the agent\'s login events as JSON lines on stdout' },
    { name: 'verbose', type: 'boolean', description: "print the agent's steps for this login on stderr (provider calls, retries; never a secret)" },
    { name: 'privileged', type: 'boolean', description: 'the second sign-in for a separateGrant profile\'s privileged scopes' },
  ],
  details:
    'The browser flow opens the provider in your browser and the agent receives the answer on a loopback address; when it cannot finish, ' +
    'auto falls back to the device flow. The device flow names the provider and client, prints the code (and a QR code on a terminal), ' +
    'and asks you to press Enter to open the page. No browser is opened with --no-browser, in an SSH session or without a display. Ctrl-C cancels (exit 130).',
  examples: [
    { command: 'authctl login', description: 'sign in to the default profile' },
    { command: 'authctl login --profile work --flow device', description: 'sign in with a code, from another device' },
    { command: 'authctl login --profile work --privileged', description: 'the privileged sign-in of a separateGrant profile' },
  ],
  exits: [0, 2, 4, 5, 6, 7, 130],
  related: ['logout', 'status', 'profile add', 'token'],
  group: 'Sign in',
} as const satisfies CommandSpec;
