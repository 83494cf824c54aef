/** `authctl version` (and `--version`). */
import { EXIT } from '../../../shared/errors.js';
import { parseCommandArgs } from '../../cli/parse.js';
import type { CommandIO } from '../../io.js';
import { VERSION_SPEC } from './spec.js';

export async function main(argv: string[], io: CommandIO): Promise<number> {
  parseCommandArgs(VERSION_SPEC, argv);
  const { VERSION } = await import('../../../daemon/version.js');
  io.stdout.write(`authctl ${VERSION}\n`);
  return EXIT.ok;
}
