/** `authctl daemon`'s entries in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const DAEMON_STOP_SPEC = {
  name: 'daemon stop',
  summary: 'Stop the running agent',
  usage: ['daemon stop'],
  flags: [],
  details: 'Signals the process the kernel names as the socket\'s peer, only when it is the pid the agent answers with; otherwise it signals nothing and says why (exit 1).',
  examples: [{ command: 'authctl daemon stop', description: 'stop the agent (sessions in the keychain survive)' }],
  exits: [0, 1, 6],
  related: ['daemon', 'service uninstall'],
  group: 'Agent',
} as const satisfies CommandSpec;

export const DAEMON_SPEC = {
  name: 'daemon',
  summary: 'Start the agent (in the background, or in the foreground for a service manager)',
  usage: ['daemon [--foreground] [--log stderr|file|journal]', 'daemon stop'],
  flags: [
    { name: 'foreground', type: 'boolean', description: 'run the agent in this process (for systemd, launchd, containers)' },
    { name: 'log', type: 'string', value: 'WHERE', choices: ['stderr', 'file', 'journal'], description: 'where the agent logs (default: stderr in the foreground, else the state directory\'s file)' },
    { name: 'report-fd', type: 'string', value: 'FD', check: 'integer', description: 'the pipe an autostarting CLI reads', hidden: true },
  ],
  details: 'Every command starts the agent when it is needed, so this is rarely typed.',
  examples: [
    { command: 'authctl daemon', description: 'start the agent in the background' },
    { command: 'authctl daemon --foreground --log journal', description: 'as a service manager runs it' },
  ],
  exits: [0, 1, 2, 6, 7],
  related: ['service install', 'doctor'],
  group: 'Agent',
  subcommands: [DAEMON_STOP_SPEC],
} as const satisfies CommandSpec;
