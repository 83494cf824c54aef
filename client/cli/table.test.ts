/**
 * The command table is the one source: help, the parser, the man page and the README's
 * CLI contract must say the same thing. These compare them, spec by spec.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE, GROUPS, allSpecs, findCommand } from '../command-table.js';
import { contractLines, renderContract, renderManPage } from './docs.js';
import { renderHelp, specForWords } from './help.js';
import { exampleOf, parseCommandArgs, usageError } from './parse.js';
import type { CommandSpec } from './spec.js';

const specs = allSpecs();
const visible = specs.filter((s) => !s.hidden);
const root = join(import.meta.dirname, '..', '..');

describe('the command table', () => {
  it('has every command folder, and every command a summary, usage, examples, exit codes and a group', () => {
    const folders = readdirSync(join(root, 'client', 'commands'));
    for (const folder of folders) expect(existsSync(join(root, 'client', 'commands', folder, 'spec.ts')), folder).toBe(true);
    for (const spec of specs) {
      expect(spec.summary, spec.name).toMatch(/^\S.*[^.]$/);
      expect(spec.usage.length, spec.name).toBeGreaterThan(0);
      for (const u of spec.usage) expect(u.startsWith(spec.name), `${spec.name}: ${u}`).toBe(true);
      expect(spec.examples.length, spec.name).toBeGreaterThanOrEqual(1);
      expect(spec.examples.length, spec.name).toBeLessThanOrEqual(3);
      expect(spec.exits, spec.name).toContain(0);
      expect(GROUPS).toContain(spec.group);
    }
    for (const e of COMMAND_TABLE.filter((e) => !e.spec.hidden)) expect(e.spec.examples.length, e.spec.name).toBeGreaterThanOrEqual(e.spec.subcommands ? 2 : 1);
  });

  it('names only related commands that exist', () => {
    for (const spec of specs) for (const r of spec.related) expect(() => specForWords(r.split(' ')), `${spec.name} → ${r}`).not.toThrow();
  });

  it('gives each flag a description, a unique name and short letter, and a value name when it takes one', () => {
    for (const spec of specs) {
      const names = spec.flags.map((f) => f.name);
      expect(new Set(names).size, spec.name).toBe(names.length);
      const shorts = spec.flags.flatMap((f) => (f.short ? [f.short] : []));
      expect(new Set(shorts).size, spec.name).toBe(shorts.length);
      for (const f of spec.flags) {
        expect(f.description, `${spec.name} --${f.name}`).not.toBe('');
        if (f.type === 'string') expect(f.value, `${spec.name} --${f.name}`).toMatch(/^[A-Z][A-Z0-9=_-]*$/);
        if (f.choices && f.default !== undefined) expect(f.choices).toContain(f.default);
      }
    }
  });

  it('documents in its usage lines every flag its parser accepts', () => {
    for (const spec of visible) {
      const usage = spec.usage.join(' ');
      for (const f of spec.flags.filter((f) => !f.hidden)) {
        // A group's usage ends in "..." where its long tail of flags is (profile add's provider flags).
        if (!usage.includes(`--${f.name}`)) expect(usage, `${spec.name} --${f.name}`).toMatch(/\.\.\.$/);
      }
      for (const flag of usage.matchAll(/--([a-z][a-z-]*)/g)) {
        const accepted = [spec, ...(spec.subcommands ?? [])].flatMap((s) => s.flags.map((f) => f.name));
        expect(accepted, `${spec.name}: usage names --${flag[1]}`).toContain(flag[1]);
      }
    }
  });

  it('parses every documented flag with its example value, and help lists each one', () => {
    for (const spec of specs) {
      const help = renderHelp(spec);
      for (const f of spec.flags) {
        const argv = f.type === 'boolean' ? [`--${f.name}`] : exampleOf(f).replace(/^--\S+ /, `--${f.name}\0`).split('\0').map((a) => a.replace(/^"(.*)"$/, '$1'));
        const words = [...argv, ...(spec.args ?? []).filter((a) => a.required).map((a) => a.name.toLowerCase())];
        const parsed = parseCommandArgs(spec, words);
        expect((parsed.values as Record<string, unknown>)[f.name], `${spec.name} ${argv.join(' ')}`).toBeTruthy();
        if (f.short) expect((parseCommandArgs(spec, [`-${f.short}`, ...argv.slice(1), ...words.slice(argv.length)]).values as Record<string, unknown>)[f.name]).toBeTruthy();
        if (!f.hidden) expect(help, `${spec.name} help`).toContain(`--${f.name}`);
        else expect(help).not.toContain(`--${f.name}`);
      }
      const unknown = ['--no-such-flag', ...(spec.args ?? []).filter((a) => a.required).map(() => 'x')];
      // ssh's options are ssh's: they pass through untouched, never "unknown".
      if (spec.passThrough) expect(parseCommandArgs(spec, unknown).rest).toEqual(unknown);
      else expect(() => parseCommandArgs(spec, unknown)).toThrow(/unknown flag --no-such-flag/);
    }
  });

  it('suggests the closest flag and quotes the one usage line', () => {
    const token = findCommand('token')!.spec;
    expect(() => parseCommandArgs(token, ['--profle', 'work'])).toThrow(/unknown flag --profle for authctl token: did you mean "--profile"\?\nusage: authctl token \[--profile P\]/);
    expect(() => parseCommandArgs(token, ['--min-valid'])).toThrow(/--min-valid needs a value \(e\.g\. --min-valid 300\)/);
    expect(() => parseCommandArgs(token, ['--profile', '--json'])).toThrow(/--profile needs a value/);
    expect(() => parseCommandArgs(token, ['--json=yes'])).toThrow(/--json takes no value/);
    expect(() => parseCommandArgs(findCommand('login')!.spec, ['--issuer', 'foo'])).toThrow(/^--issuer "foo" is not a URL \(e\.g\. --issuer https:\/\/idp\.example\.com\)\nusage: authctl login /);
    expect(() => specForWords(['profile', 'ad'])).toThrow(/unknown profile command "ad": did you mean "add"\?\nusage: authctl profile add NAME --issuer/);
    expect(usageError(token, 'x').message.split('\n')).toHaveLength(3);
  });

  it('is what the README contract block and the man page say', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme, 'README.md is stale: run npm run docs').toContain(renderContract());
    const man = renderManPage();
    for (const spec of visible) {
      expect(man).toContain(`.SS "authctl ${spec.name}"`);
      for (const f of spec.flags.filter((f) => !f.hidden)) expect(man, `${spec.name} --${f.name}`).toContain(`\\fB\\-\\-${f.name.replace(/-/g, '\\-')}\\fR`);
    }
    for (const line of contractLines()) expect(man).toContain(line.replace(/\\/g, '\\e').replace(/-/g, '\\-'));
    // The installed page is the one generated from this table (npm run build writes it).
    const built = join(root, 'dist', 'man', 'authctl.1');
    if (existsSync(built)) expect(readFileSync(built, 'utf8'), 'dist/man/authctl.1 is stale: npm run build').toBe(man);
  });

  it('accepts every authctl command line in the README\'s shell examples', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' '));
    const lines = blocks.flatMap((b) => b.split('\n')).flatMap((l) => [...l.matchAll(/(?:^|\$\(|\| |&& )(authctl [^|#)&;>]*)/g)].map((m) => m[1]!.trim()));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!).slice(1);
      // runCli's aliases (client/main.ts): `authctl --version`, `authctl --help`.
      if (words[0] === '--version') words[0] = 'version';
      if (words[0] === '--help' || words[0] === '-h') words[0] = 'help';
      const spec = specForWords(words);
      const rest = words.slice(spec.name.split(' ').length);
      expect(() => parseCommandArgs(spec, rest), line).not.toThrow();
    }
  });

  it('leaves no command with a parser of its own', () => {
    const own = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? own(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') && /\bparseArgs\b/.test(readFileSync(join(dir, d.name), 'utf8')) ? [join(dir, d.name)] : [],
      );
    expect(own(join(root, 'client'))).toEqual([]);
  });
});

export type { CommandSpec };
