/**
 * The authctl CLI entry. It stays thin: find the command in the table, answer --help from
 * its spec, else load its code and run it. Commands are loaded lazily so `authctl status`
 * loads only status (and `authctl token` skips this file altogether: bin/authctl.js).
 */
import { EXIT } from '../shared/errors.js';
import { defaultIO, reportError } from './cli-io.js';
import { asksForHelp, renderHelp, renderOverview, specForWords, unknownCommand } from './cli/help.js';
import { findCommand } from './command-table.js';
import type { CommandIO } from './io.js';

export { defaultIO, reportError };

export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  let [name, ...rest] = argv;
  if (name === undefined) {
    io.stdout.write(renderOverview());
    return EXIT.ok;
  }
  if (name === '--help' || name === '-h') name = 'help';
  if (name === '--version') name = 'version';
  try {
    const entry = findCommand(name);
    if (!entry) throw unknownCommand(name);
    if (asksForHelp(entry.spec, rest)) {
      io.stdout.write(renderHelp(specForWords([name, ...rest])));
      return EXIT.ok;
    }
    return await (await entry.load()).main(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}

/** Runs the CLI for this process and sets its exit code. */
export function cliMain(): void {
  const io = defaultIO();
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, io);
    },
  );
}
