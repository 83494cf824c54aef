/** `authctl setup-git`'s entry in the command table (client/command-table.ts). */
import { PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const SETUP_GIT_SPEC = {
  name: 'setup-git',
  summary: 'Make git ask authctl for a host\'s credentials',
  usage: ['setup-git --host H [--profile P]'],
  flags: [{ name: 'host', type: 'string', value: 'HOST', description: 'the git host (as in https://HOST/...)', example: 'github.example.com' }, PROFILE_FLAG],
  examples: [{ command: 'authctl setup-git --host github.example.com --profile work', description: 'git clone https://github.example.com/... now just works' }],
  exits: [0, 2],
  related: ['git-credential', 'setup-kube'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;
