/** `authctl logs`'s entry in the command table (client/command-table.ts). */
import { JSON_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const LOGS_SPEC = {
  name: 'logs',
  summary: "Show the agent's log (tokens are redacted there)",
  usage: ['logs [--follow] [--lines LINES|all] [--json]'],
  flags: [
    { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing new lines as the agent writes them (across rotations); Ctrl-C stops' },
    { name: 'lines', short: 'n', type: 'string', value: 'LINES', default: '100', description: 'how many of the last lines to show first, or "all"', example: '50' },
    { ...JSON_FLAG, description: 'print the log entries as the agent wrote them (JSON lines)' },
  ],
  details: 'Reads the file the agent logs to; an agent that logs to the journal or stderr is named instead (`authctl status` shows where it logs).',
  examples: [
    { command: 'authctl logs -f', description: 'watch the agent while you log in in another terminal' },
    { command: 'authctl logs -n all --json', description: 'the whole log, as JSON lines' },
  ],
  exits: [0, 2],
  related: ['status', 'doctor'],
  group: 'Agent',
} as const satisfies CommandSpec;
