/** `authctl token`'s entry in the command table (client/command-table.ts). Bundled into the token fast path: keep it to data. */
import { AUDIENCE_FLAG, JSON_FLAG, PROFILE_FLAG, RESOURCE_FLAG, SCOPE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const TOKEN_SPEC = {
  name: 'token',
  summary: 'Print a valid access token for a profile (the token alone on stdout)',
  usage: ['token [--profile P] [--scope S]... [--audience A] [--resource R] [--min-valid SECONDS] [--privileged] [--json | --header | --env] [--verbose]'],
  flags: [
    PROFILE_FLAG,
    SCOPE_FLAG,
    AUDIENCE_FLAG,
    RESOURCE_FLAG,
    { name: 'min-valid', type: 'string', value: 'SECONDS', check: 'seconds', description: 'the token must stay valid this long (0-86400; default: the profile\'s minValidSeconds)', example: '300' },
    { name: 'privileged', type: 'boolean', description: 'ask for the privileged scopes of a separateGrant profile' },
    { ...JSON_FLAG, description: 'print {accessToken, tokenType, expiresAt, scopes, profile} as JSON' },
    { name: 'header', type: 'boolean', description: 'print an "Authorization: Bearer ..." header line' },
    { name: 'env', type: 'boolean', description: 'print a shell assignment (AUTHCTL_ACCESS_TOKEN=...)' },
    { name: 'verbose', type: 'boolean', description: "print the agent's steps for this request on stderr (cache decisions, provider calls, retries; never a secret)" },
  ],
  details: 'Everything for people goes to stderr. With AUTHCTL_TOKEN set (a pre-issued token in CI) it prints that and contacts no agent.',
  examples: [
    { command: 'curl -H "Authorization: Bearer $(authctl token)" https://api.example.com/', description: 'call an API with the default profile' },
    { command: 'authctl token --profile work --scope api:read --min-valid 300', description: 'a narrower token that lasts at least five minutes' },
    { command: 'authctl token --header | curl -H @- https://api.example.com/', description: 'the header line, for tools that read one' },
  ],
  exits: [0, 2, 3, 4, 5, 6, 7],
  related: ['login', 'env', 'exec', 'status'],
  group: 'Tokens',
} as const satisfies CommandSpec;
