/**
 * `authctl token`, bundled into one CommonJS file (dist/client/token.cjs) that
 * bin/authctl.js requires directly: every CLI that asks for a token pays for this start-up,
 * and the ES module loader plus one file per module cost more than the cached answer.
 */
import { defaultIO, reportError } from './cli-io.js';
import { main } from './commands/token/token.js';

export function tokenMain(argv: string[]): void {
  const io = defaultIO();
  main(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, io);
    },
  );
}
