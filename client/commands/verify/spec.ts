/** `authctl verify`'s entry in the command table (client/command-table.ts). */
import { AUDIENCE_FLAG, PROFILE_FLAG, SCOPE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const VERIFY_SPEC = {
  name: 'verify',
  summary: 'Check a token offline as an API server would; print its claims',
  usage: ['verify [--issuer URL | --profile P] [--audience A] [--scope S]... [TOKEN | -]'],
  flags: [
    { name: 'issuer', type: 'string', value: 'URL', check: 'url', description: 'the issuer the token must come from', example: 'https://idp.example.com' },
    PROFILE_FLAG,
    { ...AUDIENCE_FLAG, description: 'the audience the token must carry' },
    { ...SCOPE_FLAG, description: 'a scope the token must carry' },
  ],
  args: [{ name: 'TOKEN', description: 'the token ("Bearer ..." works too); "-" or none reads stdin' }],
  details: 'Prints the verified claims as JSON (exit 0); an invalid token or a missing scope says why on stderr (exit 3).',
  examples: [
    { command: 'authctl token | authctl verify', description: 'what does my token say?' },
    { command: 'authctl verify --issuer https://idp.example.com --scope api:read "$TOKEN"', description: 'check a token someone sent' },
  ],
  exits: [0, 2, 3, 5],
  related: ['token'],
  group: 'Tokens',
} as const satisfies CommandSpec;
