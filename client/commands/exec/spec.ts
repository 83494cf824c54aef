/** `authctl exec`'s entry in the command table (client/command-table.ts). */
import { ENV_NAME_FLAG, PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const EXEC_SPEC = {
  name: 'exec',
  summary: 'Run a command with a token in its environment',
  usage: ['exec [--profile P] [--env NAME] [--nested] -- COMMAND [ARGS...]'],
  flags: [PROFILE_FLAG, ENV_NAME_FLAG, { name: 'nested', type: 'boolean', description: 'allow running inside another authctl exec' }],
  args: [{ name: 'COMMAND', description: 'the command to run, with its arguments', repeatable: true }],
  stopAtPositional: true,
  details: 'Exits the way COMMAND exits (its code, or the same signal). Flags after COMMAND belong to COMMAND.',
  examples: [
    { command: 'authctl exec -- terraform plan', description: 'terraform sees AUTHCTL_ACCESS_TOKEN' },
    { command: 'authctl exec --profile work --env GITHUB_TOKEN -- gh repo list', description: 'the token under another name' },
  ],
  exits: [0, 2, 3, 4, 5, 6, 7],
  related: ['env', 'token'],
  group: 'Tokens',
} as const satisfies CommandSpec;
