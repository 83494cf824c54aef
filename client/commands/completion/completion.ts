/** `authctl completion bash|zsh|fish`: prints the shell's completion script on stdout. */
import { EXIT } from '../../../shared/errors.js';
import { parseCommandArgs, usageError } from '../../cli/parse.js';
import type { CommandIO } from '../../io.js';
import { BASH, FISH, ZSH } from './scripts.js';
import { COMPLETION_SPEC } from './spec.js';
import { didYouMean } from '../../../shared/suggest.js';

const SCRIPTS: Record<string, string> = { bash: BASH, zsh: ZSH, fish: FISH };

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const shell = parseCommandArgs(COMPLETION_SPEC, argv).positionals[0]!;
  const script = SCRIPTS[shell];
  if (!script) {
    const hint = didYouMean(shell, Object.keys(SCRIPTS));
    throw usageError(COMPLETION_SPEC, `no completion for "${shell}": authctl has bash, zsh and fish${hint ? ` (${hint})` : ''}`);
  }
  io.stdout.write(script);
  return EXIT.ok;
}
