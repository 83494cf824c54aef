/** `authctl git-credential`'s entry in the command table (client/command-table.ts). */
import { PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const GIT_CREDENTIAL_SPEC = {
  name: 'git-credential',
  summary: 'git\'s credential helper (git runs it; also installed as git-credential-authctl)',
  usage: ['git-credential [--profile P] get|store|erase|capability'],
  flags: [PROFILE_FLAG],
  args: [{ name: 'OPERATION', description: 'what git asks: get, store, erase or capability (others are ignored, as git asks)', required: true, suggestions: ['get', 'store', 'erase', 'capability'] }],
  examples: [
    { command: 'authctl setup-git --host github.example.com', description: 'let git use it for one host' },
    { command: 'printf "protocol=https\\nhost=github.example.com\\n" | authctl git-credential get', description: 'what git does' },
  ],
  exits: [0, 2, 3, 4, 5, 6, 7],
  related: ['setup-git'],
  group: 'Tool integrations',
} as const satisfies CommandSpec;
