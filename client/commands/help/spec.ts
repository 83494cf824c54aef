/** `authctl help`'s entry in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const HELP_SPEC = {
  name: 'help',
  summary: 'Show the help of a command (the same as COMMAND --help)',
  usage: ['help [COMMAND [SUBCOMMAND]]'],
  flags: [],
  args: [{ name: 'COMMAND', description: 'a command and subcommand', repeatable: true }],
  examples: [
    { command: 'authctl help token', description: 'how to get a token' },
    { command: 'authctl help profile add', description: 'a subcommand\'s help' },
  ],
  exits: [0, 2],
  related: ['completion'],
  group: 'Other',
} as const satisfies CommandSpec;

export const VERSION_SPEC = {
  name: 'version',
  summary: 'Print authctl\'s version (also --version)',
  usage: ['version'],
  flags: [],
  examples: [{ command: 'authctl version', description: 'which authctl is this?' }],
  exits: [0],
  related: ['doctor'],
  group: 'Other',
} as const satisfies CommandSpec;
