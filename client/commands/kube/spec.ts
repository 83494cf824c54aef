/** `authctl kube`'s entry in the command table (client/command-table.ts). */
import { PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const KUBE_SPEC = {
  name: 'kube',
  summary: 'kubectl\'s exec credential plugin (kubectl runs it)',
  usage: ['kube [--profile P]'],
  flags: [PROFILE_FLAG],
  examples: [{ command: 'authctl setup-kube --context prod --profile work', description: 'let kubectl use it for a context' }],
  exits: [0, 2, 3, 4, 5, 6, 7],
  related: ['setup-kube'],
  group: 'Tool integrations',
} as const satisfies CommandSpec;
