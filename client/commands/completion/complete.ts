/**
 * `authctl __complete WORD...` (hidden): the candidates for the last word, one a line,
 * read from the command table and, for profile names, from the config. The completion
 * scripts (./scripts.ts) call it, so they stay a few lines per shell and never go stale.
 */
import { EXIT } from '../../../shared/errors.js';
import { subName, visibleFlags } from '../../cli/help.js';
import type { ArgSpec, CommandSpec, FlagSpec } from '../../cli/spec.js';
import { COMMAND_TABLE } from '../../command-table.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';

export function candidates(words: readonly string[], env: CommandIO['env']): string[] {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const starting = (list: Iterable<string>) => [...list].filter((c) => c.startsWith(cur));
  if (before.length === 0) return starting(COMMAND_TABLE.filter((e) => !e.spec.hidden).map((e) => e.spec.name));
  let spec: CommandSpec | undefined = COMMAND_TABLE.find((e) => e.spec.name === before[0])?.spec;
  if (!spec) return [];
  let rest = before.slice(1);
  if (spec.name === 'help') return helpCandidates(rest, starting);
  const sub = spec.subcommands?.find((s) => subName(s) === rest[0]);
  if (sub) [spec, rest] = [sub, rest.slice(1)];
  else if (spec.subcommands && rest.length === 0 && !cur.startsWith('-')) return starting(spec.subcommands.map(subName));
  // After `--`, or exec's command: those words belong to another program (the shell falls back to files).
  if (rest.includes('--') || (spec.stopAtPositional && positionalCount(spec, rest) > 0)) return [];
  const prev = rest.at(-1);
  const valueOf = prev && flagNamed(spec, prev);
  if (valueOf && valueOf.type === 'string') return starting(valueCandidates(valueOf, env));
  if (cur.startsWith('-')) return starting([...visibleFlags(spec).map((f) => `--${f.name}`), '--help']);
  const given = positionalCount(spec, rest);
  const arg: ArgSpec | undefined = spec.args?.[given] ?? (spec.args?.at(-1)?.repeatable ? spec.args.at(-1) : undefined);
  if (arg?.complete === 'profile') return starting(profileNames(env));
  return starting(arg?.suggestions ?? []);
}

function helpCandidates(rest: string[], starting: (l: Iterable<string>) => string[]): string[] {
  if (rest.length === 0) return starting(COMMAND_TABLE.filter((e) => !e.spec.hidden).map((e) => e.spec.name));
  const spec = COMMAND_TABLE.find((e) => e.spec.name === rest[0])?.spec;
  return rest.length === 1 && spec?.subcommands ? starting(spec.subcommands.map(subName)) : [];
}

function flagNamed(spec: CommandSpec, word: string): FlagSpec | undefined {
  if (word.startsWith('--')) return spec.flags.find((f) => f.name === word.slice(2));
  if (/^-[a-zA-Z]$/.test(word)) return spec.flags.find((f) => f.short === word[1]);
  return undefined;
}

/** How many positionals `words` holds (skipping flags and their values). */
function positionalCount(spec: CommandSpec, words: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < words.length; i++) {
    const flag = flagNamed(spec, words[i]!);
    if (flag) {
      if (flag.type === 'string') i++;
    } else if (!words[i]!.startsWith('-')) n++;
  }
  return n;
}

function valueCandidates(flag: FlagSpec, env: CommandIO['env']): readonly string[] {
  if (flag.choices) return flag.choices;
  if (flag.complete === 'profile') return profileNames(env);
  return [];
}

function profileNames(env: CommandIO['env']): string[] {
  try {
    return [...readEffectiveConfigPlain(env).profiles.keys()];
  } catch {
    return []; // a broken config: `authctl status` says what is wrong, completion stays quiet
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const words = argv[0] === '--' ? argv.slice(1) : argv;
  const found = candidates(words.length ? words : [''], io.env);
  if (found.length) io.stdout.write(found.join('\n') + '\n');
  return EXIT.ok;
}
