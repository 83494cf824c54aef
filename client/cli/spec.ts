/**
 * The shape of one command's entry in the command table (client/command-table.ts). Each
 * command folder holds its own `spec.ts`; the argument parser (client/cli/parse.ts), the
 * help, the man page, the README's CLI contract and the shell completion are all read
 * from these, so they cannot drift. Types only: the token bundle imports this for free.
 */
import type { EXIT } from '../../shared/errors.js';

/** An exit code from the table in shared/errors.ts, or 130 (cancelled with Ctrl-C). */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT] | 130;

/** How a string flag's value is checked before the command sees it. */
export type ValueCheck = 'url' | 'seconds' | 'key=value' | 'absolute-path' | 'integer';

export interface FlagSpec {
  /** Long name without dashes: `min-valid`. */
  readonly name: string;
  /** One letter: `p` for `-p`. */
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** What the value is called in usage and help: `URL`, `SECONDS`. */
  readonly value?: string;
  readonly description: string;
  /** Shown in help; for a string flag also the parsed value when the flag is absent. */
  readonly default?: string;
  /** May be given more than once; the parsed value is then a list. */
  readonly repeatable?: boolean;
  /** The only values accepted (help lists them, completion offers them). */
  readonly choices?: readonly string[];
  readonly check?: ValueCheck;
  /** A plausible value, for error messages: `--issuer "foo" is not a URL (e.g. https://idp.example.com)`. */
  readonly example?: string;
  /** What completion offers for the value. */
  readonly complete?: 'profile' | 'file';
  /** Internal (the agent's --report-fd): parsed, never shown. */
  readonly hidden?: boolean;
}

export interface ArgSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly repeatable?: boolean;
  /** Values completion offers (not enforced: git asks helpers to ignore unknown operations). */
  readonly suggestions?: readonly string[];
  readonly complete?: 'profile' | 'file';
}

export interface ExampleSpec {
  readonly command: string;
  readonly description: string;
}

/** Where a command sits in the overview of bare `authctl`. */
export type CommandGroup = 'Sign in' | 'Tokens' | 'Profiles and setup' | 'Tool integrations' | 'Agent' | 'Other';

export interface CommandSpec {
  /** The words after `authctl`: `token`, `profile add`. */
  readonly name: string;
  readonly summary: string;
  /** Full usage lines, without the leading `authctl `; the first is the one errors quote. */
  readonly usage: readonly string[];
  readonly flags: readonly FlagSpec[];
  readonly args?: readonly ArgSpec[];
  /** Options end at the first positional (exec: the flags after the command are its own). */
  readonly stopAtPositional?: boolean;
  /**
   * The arguments belong to another program (ssh): the command's own flags are read only
   * before the first argument that is not one of them; that one and the rest go to `rest`.
   */
  readonly passThrough?: boolean;
  /** Paragraph(s) after the summary in help. */
  readonly details?: string;
  readonly examples: readonly ExampleSpec[];
  /** The exit codes it can end with; help explains each. */
  readonly exits: readonly ExitCode[];
  /** Commands to see too, as typed: `logout`, `profile add`. */
  readonly related: readonly string[];
  readonly group: CommandGroup;
  readonly subcommands?: readonly CommandSpec[];
  readonly hidden?: boolean;
}

type ValueOf<F extends FlagSpec> = F['type'] extends 'boolean'
  ? boolean
  : F['repeatable'] extends true
    ? string[] | undefined
    : F extends { default: string }
      ? string
      : string | undefined;

/** The parsed values of a spec's flags, keyed by long name, typed from the spec. */
export type FlagValues<Fs extends readonly FlagSpec[]> = { [F in Fs[number] as F['name']]: ValueOf<F> };
