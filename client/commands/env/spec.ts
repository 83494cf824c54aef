/** `authctl env`'s entry in the command table (client/command-table.ts). */
import { ENV_NAME_FLAG, PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const ENV_SPEC = {
  name: 'env',
  summary: 'Print the token and its expiry as shell assignments or JSON',
  usage: ['env [--profile P] [--env NAME] [--format sh|fish|json]'],
  flags: [PROFILE_FLAG, ENV_NAME_FLAG, { name: 'format', type: 'string', value: 'FORMAT', choices: ['sh', 'fish', 'json'], default: 'sh', description: 'the output format' }],
  examples: [
    { command: 'eval "$(authctl env)"', description: 'in sh, bash or zsh' },
    { command: 'authctl env --format fish | source', description: 'in fish' },
    { command: 'authctl env --format json', description: 'for other tools' },
  ],
  exits: [0, 2, 3, 4, 5, 6, 7],
  related: ['exec', 'token'],
  group: 'Tokens',
} as const satisfies CommandSpec;
