/** `authctl doctor`'s entry in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const DOCTOR_SPEC = {
  name: 'doctor',
  summary: 'Check the setup, most basic first, and say what to do about each problem',
  usage: ['doctor'],
  flags: [],
  details: 'Never starts an agent. Exits with the code of the first failure; warnings do not fail.',
  examples: [{ command: 'authctl doctor', description: 'why does nothing work?' }],
  exits: [0, 2, 5, 6, 7],
  related: ['status', 'daemon'],
  group: 'Agent',
} as const satisfies CommandSpec;
