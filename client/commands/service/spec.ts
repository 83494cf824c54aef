/** `authctl service`'s entries in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

const SERVICE_FLAGS = [
  { name: 'system-wide', type: 'boolean', description: 'for every user: units under /etc (run as root)' },
  { name: 'root', type: 'string', value: 'DIR', check: 'absolute-path', description: 'with --system-wide: install into an image or chroot at DIR', complete: 'file' },
  { name: 'manager', type: 'string', value: 'MANAGER', choices: ['systemd', 'launchd'], description: 'the service manager (default: this platform\'s; another only with --print)' },
] as const;

export const SERVICE_INSTALL_SPEC = {
  name: 'service install',
  summary: 'Run the agent as a user service (systemd socket activation, or a LaunchAgent)',
  usage: ['service install [--now] [--print] [--system-wide [--root DIR]] [--manager systemd|launchd]'],
  flags: [
    { name: 'now', type: 'boolean', description: 'start the service now, not only at the next login' },
    { name: 'print', type: 'boolean', description: 'show what would be written and run; change nothing' },
    ...SERVICE_FLAGS,
  ],
  examples: [
    { command: 'authctl service install --now', description: 'install and start it' },
    { command: 'authctl service install --print', description: 'see the unit files first' },
    { command: 'sudo authctl service install --system-wide', description: 'for every user of the machine' },
  ],
  exits: [0, 1, 2],
  related: ['service status', 'daemon'],
  group: 'Agent',
} as const satisfies CommandSpec;

export const SERVICE_UNINSTALL_SPEC = {
  name: 'service uninstall',
  summary: 'Stop and remove the agent\'s user service',
  usage: ['service uninstall [--system-wide [--root DIR]] [--manager systemd|launchd]'],
  flags: SERVICE_FLAGS,
  examples: [{ command: 'authctl service uninstall', description: 'remove the user service' }],
  exits: [0, 1, 2],
  related: ['service install'],
  group: 'Agent',
} as const satisfies CommandSpec;

export const SERVICE_STATUS_SPEC = {
  name: 'service status',
  summary: 'Say whether the agent\'s service is installed and running',
  usage: ['service status [--system-wide [--root DIR]] [--manager systemd|launchd]'],
  flags: SERVICE_FLAGS,
  examples: [{ command: 'authctl service status', description: 'is the service installed?' }],
  exits: [0, 1, 2],
  related: ['service install', 'status'],
  group: 'Agent',
} as const satisfies CommandSpec;

export const SERVICE_SPEC = {
  name: 'service',
  summary: 'Install, remove or check the agent\'s service',
  usage: ['service install|uninstall|status ...'],
  flags: [],
  examples: [
    { command: 'authctl service install --now', description: 'run the agent as a user service' },
    { command: 'authctl service status', description: 'check it' },
  ],
  exits: [0, 1, 2],
  related: ['daemon'],
  group: 'Agent',
  subcommands: [SERVICE_INSTALL_SPEC, SERVICE_UNINSTALL_SPEC, SERVICE_STATUS_SPEC],
} as const satisfies CommandSpec;
