/** `authctl logout`'s entry in the command table (client/command-table.ts). */
import { JSON_FLAG, PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const LOGOUT_SPEC = {
  name: 'logout',
  summary: 'Revoke a profile\'s session at the provider and delete it locally',
  usage: ['logout [--profile P | --all] [--json]'],
  flags: [PROFILE_FLAG, { name: 'all', type: 'boolean', description: 'log out of every profile' }, JSON_FLAG],
  details: 'A revocation failure is reported and the local copy is deleted anyway (exit 0: the local session is gone).',
  examples: [
    { command: 'authctl logout', description: 'log out of the default profile' },
    { command: 'authctl logout --profile work', description: 'log out of one profile' },
    { command: 'authctl logout --all', description: 'log out everywhere' },
  ],
  exits: [0, 2, 6, 7],
  related: ['login', 'status'],
  group: 'Sign in',
} as const satisfies CommandSpec;
