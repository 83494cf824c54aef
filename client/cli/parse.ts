/**
 * The argument parser every command uses, driven by its spec (client/cli/spec.ts), so
 * what help documents is exactly what is accepted. Errors name the flag, show an example
 * and the command's usage line, and suggest the closest flag for a typo. Small and free of
 * help text: `authctl token` bundles it.
 */
import { AuthctlError } from '../../shared/errors.js';
import { closestName, didYouMean } from '../../shared/suggest.js';
import type { CommandSpec, FlagSpec, FlagValues, ValueCheck } from './spec.js';

export interface Parsed<S extends CommandSpec> {
  values: FlagValues<S['flags']>;
  positionals: string[];
  /** With `stopAtPositional`: everything from the first positional or after `--` on. */
  rest: string[];
}

/** A usage error that quotes the command's first usage line (what to type instead). */
export function usageError(spec: Pick<CommandSpec, 'name' | 'usage'>, why: string): AuthctlError {
  return new AuthctlError('usage', `${why}\nusage: authctl ${spec.usage[0]}\n(see \`${['authctl help', spec.name].filter(Boolean).join(' ')}\`)`);
}

export function parseCommandArgs<S extends CommandSpec>(spec: S, argv: readonly string[]): Parsed<S> {
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const f of spec.flags) values[f.name] = f.type === 'boolean' ? false : f.default;
  const positionals: string[] = [];
  let rest: string[] = [];
  const byLong = new Map(spec.flags.map((f) => [f.name, f]));
  const byShort = new Map(spec.flags.filter((f) => f.short).map((f) => [f.short!, f]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (spec.passThrough && !(arg.startsWith('--') && byLong.has(arg.slice(2).split('=')[0]!))) {
      rest = argv.slice(i) as string[];
      break;
    }
    if (arg === '--') {
      rest = argv.slice(i + 1) as string[];
      if (!spec.stopAtPositional) positionals.push(...rest);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (spec.stopAtPositional) {
        rest = argv.slice(i) as string[];
        break;
      }
      positionals.push(arg);
      continue;
    }
    let flag: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq > 0) inline = arg.slice(eq + 1);
      flag = byLong.get(name);
      if (!flag) throw unknownFlag(spec, arg.slice(0, eq > 0 ? eq : undefined));
    } else {
      flag = byShort.get(arg[1]!);
      if (!flag) throw unknownFlag(spec, arg.slice(0, 2));
      if (arg.length > 2) inline = arg.slice(2);
    }
    if (flag.type === 'boolean') {
      if (inline !== undefined) throw usageError(spec, `--${flag.name} takes no value (remove "=${inline}")`);
      values[flag.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // `--profile --json`: the value was forgotten, the next flag is not it.
      if (next === undefined || (next.startsWith('--') && byLong.has(next.slice(2).split('=')[0]!)))
        throw usageError(spec, `--${flag.name} needs a value (e.g. ${exampleOf(flag)})`);
      value = next;
      i++;
    }
    checkValue(spec, flag, value);
    // A single-valued flag given twice: the last wins, as with node:util and gh (`alias t='authctl token -p a'; t -p b`).
    values[flag.name] = flag.repeatable ? [...((values[flag.name] as string[] | undefined) ?? []), value] : value;
  }
  const maxArgs = spec.args?.some((a) => a.repeatable) ? Infinity : (spec.args?.length ?? 0);
  if (positionals.length > maxArgs) {
    const extra = positionals[maxArgs]!;
    const hint = spec.subcommands ? didYouMean(extra, spec.subcommands.map((s) => s.name.split(' ').at(-1)!)) : '';
    throw usageError(spec, `unexpected argument "${extra}"${hint ? ` (${hint})` : ''}`);
  }
  const missing = spec.args?.slice(positionals.length).find((a) => a.required);
  if (missing) throw usageError(spec, `missing ${missing.name}`);
  return { values: values as FlagValues<S['flags']>, positionals, rest };
}

function unknownFlag(spec: CommandSpec, given: string): AuthctlError {
  const names = spec.flags.filter((f) => !f.hidden).map((f) => `--${f.name}`);
  const hint = didYouMean(given.startsWith('--') ? given : `--${given.slice(1)}`, names);
  const none = names.length ? '' : ` (authctl ${spec.name} takes no flags)`;
  return usageError(spec, `unknown flag ${given} for authctl ${spec.name}${hint ? `: ${hint}` : none}`);
}

export function exampleOf(flag: FlagSpec): string {
  const value = flag.example ?? flag.choices?.[0] ?? EXAMPLES[flag.check ?? 'none'] ?? flag.value ?? 'VALUE';
  return `--${flag.name} ${/[\s"]/.test(value) ? JSON.stringify(value) : value}`;
}

const EXAMPLES: Record<ValueCheck | 'none', string | undefined> = {
  url: 'https://idp.example.com',
  seconds: '300',
  integer: '3',
  'key=value': 'prompt=consent',
  'absolute-path': '/etc/authctl',
  none: undefined,
};

function checkValue(spec: CommandSpec, flag: FlagSpec, value: string): void {
  const bad = (what: string) => usageError(spec, `--${flag.name} "${value}" ${what} (e.g. ${exampleOf(flag)})`);
  if (flag.choices && !flag.choices.includes(value)) {
    const hint = didYouMean(value, flag.choices);
    throw bad(`is not one of ${flag.choices.join(', ')}${hint ? `; ${hint}` : ''}`);
  }
  switch (flag.check) {
    case 'url':
      if (!/^https?:$/.test(URL.parse(value)?.protocol ?? '')) throw bad('is not a URL');
      break;
    case 'seconds':
      if (!/^\d+$/.test(value)) throw bad('is not a whole number of seconds');
      break;
    case 'integer':
      if (!/^\d+$/.test(value)) throw bad('is not a whole number');
      break;
    case 'key=value':
      if (value.indexOf('=') <= 0) throw bad('is not NAME=VALUE');
      break;
    case 'absolute-path':
      if (!value.startsWith('/')) throw bad('is not an absolute path');
      break;
  }
}

/** The subcommand spec `verb` names, or a usage error with the closest one. */
export function subcommandOf(spec: CommandSpec, verb: string | undefined): CommandSpec {
  const subs = spec.subcommands ?? [];
  const found = subs.find((s) => s.name.split(' ').at(-1) === verb);
  if (found) return found;
  const names = subs.map((s) => s.name.split(' ').at(-1)!);
  if (verb === undefined || verb.startsWith('-')) throw usageError(spec, `which ${spec.name} command? ${names.join(', ')}`);
  // A likely typo quotes the usage of the command meant, the one line worth reading.
  const close = closestName(verb, names);
  const meant = subs.find((s) => s.name.split(' ').at(-1) === close);
  if (meant) throw usageError(meant, `unknown ${spec.name} command "${verb}": did you mean "${close}"?`);
  throw usageError(spec, `unknown ${spec.name} command "${verb}" (known: ${names.join(', ')})`);
}
