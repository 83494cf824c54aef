/** `authctl ssh`'s entry in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const SSH_SPEC = {
  name: 'ssh',
  summary: "Run ssh with this machine's agent forwarded to the remote host",
  usage: ['ssh [SSH OPTIONS...] DESTINATION [COMMAND...]', 'ssh --print-config HOST'],
  flags: [
    {
      name: 'print-config',
      type: 'string',
      value: 'HOST',
      description: 'print the ~/.ssh/config lines that forward the agent for plain ssh, and exit',
      example: 'myserver',
    },
  ],
  args: [
    { name: 'DESTINATION', description: 'where ssh connects ([user@]host, or a Host from ~/.ssh/config)' },
    { name: 'COMMAND', description: 'the remote command (default: your login shell)', repeatable: true },
  ],
  passThrough: true,
  details:
    'Every option before DESTINATION goes to ssh as it is. On the remote host AUTHCTL_SOCK points at the forwarded agent, so authctl token, ' +
    'the git, docker and kubectl helpers, exec and env work there and nothing is stored there. The forwarded socket has its own policy: ' +
    'profiles with "forwarding": false are refused, privileged tokens always need the OTP, and logout and OTP enrolment are refused. ' +
    "Exits with ssh's exit code.",
  examples: [
    { command: 'authctl ssh me@build01', description: 'a shell on build01 that gets tokens from this machine' },
    { command: 'authctl ssh -p 2222 me@build01 git pull', description: 'one command, ssh options first' },
    { command: 'authctl ssh --print-config build01 >> ~/.ssh/config', description: 'the same for plain ssh' },
  ],
  exits: [0, 2, 6],
  related: ['status', 'login'],
  group: 'Tool integrations',
} as const satisfies CommandSpec;
