/**
 * A yes/no question for the person at the terminal. Only when stdin and stderr are both a
 * terminal: a script, a pipe or CI gets `undefined` and the caller keeps things as they are.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { CommandIO } from './io.js';

export function onTerminal(io: CommandIO): boolean {
  return io.stderrIsTTY && Boolean((io.stdin as Readable & { isTTY?: boolean }).isTTY);
}

/** Asks `question [y/N]`; true only for an answer starting with y. Undefined when nobody can answer. */
export async function confirm(io: CommandIO, question: string): Promise<boolean | undefined> {
  if (!onTerminal(io)) return undefined;
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
