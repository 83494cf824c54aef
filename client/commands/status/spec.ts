/** `authctl status`'s entry in the command table (client/command-table.ts). */
import { JSON_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const STATUS_SPEC = {
  name: 'status',
  summary: 'Show the agent and each profile\'s session (never a secret)',
  usage: ['status [--json]'],
  flags: [JSON_FLAG],
  examples: [
    { command: 'authctl status', description: 'who am I logged in as, and until when' },
    { command: 'authctl status --json', description: 'the same for scripts' },
  ],
  exits: [0, 2, 6],
  related: ['login', 'doctor', 'profile list'],
  group: 'Sign in',
} as const satisfies CommandSpec;
