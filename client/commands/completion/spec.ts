/** `authctl completion`'s entries in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const COMPLETION_SPEC = {
  name: 'completion',
  summary: 'Print a shell completion script (bash, zsh or fish)',
  usage: ['completion bash|zsh|fish'],
  flags: [],
  args: [{ name: 'SHELL', description: 'bash, zsh or fish', required: true, suggestions: ['bash', 'zsh', 'fish'] }],
  details: 'The script completes commands, subcommands, flags, their values and profile names (it asks `authctl __complete`, which reads the config).',
  examples: [
    { command: 'echo \'eval "$(authctl completion bash)"\' >> ~/.bashrc', description: 'bash' },
    { command: 'authctl completion zsh > "${fpath[1]}/_authctl"', description: 'zsh (then restart zsh)' },
    { command: 'authctl completion fish > ~/.config/fish/completions/authctl.fish', description: 'fish' },
  ],
  exits: [0, 2],
  related: ['help'],
  group: 'Other',
} as const satisfies CommandSpec;

/** What the completion scripts call: prints the candidates for the last word, one a line. */
export const COMPLETE_SPEC = {
  name: '__complete',
  summary: 'Print completion candidates for the words typed so far (used by the completion scripts)',
  usage: ['__complete WORD...'],
  flags: [],
  args: [{ name: 'WORD', description: 'the words after authctl, the last one being completed', repeatable: true }],
  stopAtPositional: true,
  examples: [{ command: 'authctl __complete to', description: 'prints "token"' }],
  exits: [0],
  related: ['completion'],
  group: 'Other',
  hidden: true,
} as const satisfies CommandSpec;
