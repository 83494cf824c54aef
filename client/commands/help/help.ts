/** `authctl help [COMMAND [SUBCOMMAND]]`: the overview, or one command's help, on stdout. */
import { EXIT } from '../../../shared/errors.js';
import { renderHelp, renderOverview, specForWords } from '../../cli/help.js';
import { parseCommandArgs } from '../../cli/parse.js';
import type { CommandIO } from '../../io.js';
import { HELP_SPEC } from './spec.js';

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { positionals } = parseCommandArgs(HELP_SPEC, argv);
  io.stdout.write(positionals.length ? renderHelp(specForWords(positionals)) : renderOverview());
  return EXIT.ok;
}
