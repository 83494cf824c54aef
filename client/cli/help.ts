/**
 * Help text from the command table: one command's help (`--help`, `authctl help CMD`), the
 * overview of bare `authctl`, and resolving the words of `authctl help profile add`. The
 * layout follows gh's (USAGE, FLAGS, EXAMPLES, then where to look next).
 */
import { closestName } from '../../shared/suggest.js';
import { COMMAND_TABLE, GROUPS } from '../command-table.js';
import { subcommandOf, usageError } from './parse.js';
import type { CommandSpec, ExitCode, FlagSpec } from './spec.js';

export const EXIT_MEANINGS: Record<ExitCode, string> = {
  0: 'ok',
  1: 'unexpected error',
  2: 'usage error (bad flag, unknown profile, invalid config)',
  3: 'login required',
  4: 'OTP required, wrong or locked out',
  5: 'identity provider unreachable or refused',
  6: 'agent unreachable',
  7: 'keychain unavailable or locked',
  130: 'cancelled (Ctrl-C)',
};

/** `-p, --profile NAME` as help and the man page show it. */
export function flagLabel(f: FlagSpec): string {
  const value = f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : '';
  return `${f.short ? `-${f.short}, ` : '    '}--${f.name}${value}`;
}

/** A flag's description with its allowed values, default and repeatability. */
export function flagText(f: FlagSpec): string {
  const notes: string[] = [];
  if (f.choices) notes.push(`one of ${f.choices.join(', ')}`);
  if (f.default !== undefined) notes.push(`default ${f.default}`);
  if (f.repeatable) notes.push('repeatable');
  return notes.length ? `${f.description} (${notes.join('; ')})` : f.description;
}

export const visibleFlags = (spec: CommandSpec) => spec.flags.filter((f) => !f.hidden);
export const subName = (spec: CommandSpec) => spec.name.split(' ').at(-1)!;

function table(rows: [string, string][], indent = '  '): string {
  const width = Math.min(32, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, r]) => (l.length > width ? `${indent}${l}\n${indent}${' '.repeat(width)}  ${r}` : `${indent}${l.padEnd(width)}  ${r}`)).join('\n');
}

export function renderHelp(spec: CommandSpec): string {
  const parts: string[] = [spec.summary + '.'];
  if (spec.details) parts.push(spec.details);
  parts.push('USAGE\n' + spec.usage.map((u) => `  authctl ${u}`).join('\n'));
  if (spec.subcommands?.length) parts.push('COMMANDS\n' + table(spec.subcommands.map((s) => [subName(s), s.summary])));
  if (spec.args?.length) parts.push('ARGUMENTS\n' + table(spec.args.map((a) => [a.name, a.description])));
  const flags = visibleFlags(spec);
  parts.push('FLAGS\n' + table([...flags.map((f): [string, string] => [flagLabel(f), flagText(f)]), ['-h, --help', 'show this help']]));
  parts.push('EXAMPLES\n' + spec.examples.map((e) => `  # ${e.description}\n  $ ${e.command}`).join('\n\n'));
  parts.push('EXIT CODES\n' + table(spec.exits.map((c) => [String(c), EXIT_MEANINGS[c]])));
  parts.push('SEE ALSO\n' + spec.related.map((r) => `  authctl ${r}`).join('\n') + `\n  authctl help (every command); man authctl`);
  return parts.join('\n\n') + '\n';
}

/** Bare `authctl`: what it is and the commands by purpose. */
export function renderOverview(): string {
  const parts = ['authctl: sign in once; every command-line tool gets short-lived tokens from a private agent.', 'USAGE\n  authctl <command> [<subcommand>] [flags]'];
  for (const group of GROUPS) {
    const specs = COMMAND_TABLE.map((e) => e.spec).filter((s) => s.group === group && !s.hidden);
    if (specs.length) parts.push(`${group.toUpperCase()}\n` + table(specs.map((s) => [s.name, s.summary])));
  }
  parts.push('LEARN MORE\n  authctl help <command> [<subcommand>], or <command> --help, for flags and examples\n  authctl completion bash|zsh|fish for tab completion; man authctl');
  return parts.join('\n\n') + '\n';
}

const visibleCommands = () => COMMAND_TABLE.filter((e) => !e.spec.hidden).map((e) => e.spec.name);

/** The usage error for a command name authctl does not know (did you mean, and its usage line). */
export function unknownCommand(name: string): Error {
  const close = closestName(name, visibleCommands());
  const spec = close ? COMMAND_TABLE.find((e) => e.spec.name === close)!.spec : undefined;
  if (!spec) return usageError({ name: '', usage: ['<command> [<subcommand>] [flags]'] }, `unknown command "${name}"; run \`authctl help\` for the list`);
  return usageError(spec, `unknown command "${name}": did you mean "${close}"?`);
}

/** The spec `authctl help WORDS...` names (`profile add`), or a usage error with a suggestion. */
export function specForWords(words: readonly string[]): CommandSpec {
  const [first, ...more] = words;
  const entry = COMMAND_TABLE.find((e) => e.spec.name === first);
  if (!entry) throw unknownCommand(first!);
  let spec: CommandSpec = entry.spec;
  for (const word of more) {
    if (word.startsWith('-')) break;
    if (!spec.subcommands?.length) break; // `help git-credential get`: an argument, not a subcommand
    spec = subcommandOf(spec, word); // an unknown word: did you mean, with the usage of the one meant
  }
  return spec;
}

/** Does `argv` (the words after the command) ask for help, before `--` or the passed-through command? */
export function asksForHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  // ssh's own -h and the remote command's --help are not ours.
  if (spec.passThrough) return argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h');
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
    if (spec.stopAtPositional && !arg.startsWith('-')) return false;
  }
  return false;
}
