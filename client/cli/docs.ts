/**
 * The documents generated from the command table: the man page (authctl.1, written at
 * build time by scripts/build-docs.mjs) and the README's CLI contract block (checked by
 * client/cli/table.test.ts; `npm run docs` rewrites it).
 */
import { VERSION } from '../../daemon/version.js';
import { COMMAND_TABLE, GROUPS, allSpecs } from '../command-table.js';
import { EXIT_MEANINGS, flagText, renderOverview, visibleFlags } from './help.js';
import type { CommandSpec } from './spec.js';

export const CONTRACT_BEGIN = '<!-- cli-contract: generated from client/command-table.ts by `npm run docs`; do not edit -->';
export const CONTRACT_END = '<!-- /cli-contract -->';

const subcommandWords = (spec: CommandSpec) => new Set((spec.subcommands ?? []).map((s) => s.name.split(' ').at(-1)!));

/** Every usage line once, in table order: a group's own lines only when they are not its subcommands'. */
export function contractLines(): string[] {
  const lines: string[] = [];
  for (const spec of allSpecs()) {
    if (spec.hidden) continue;
    const subs = subcommandWords(spec);
    for (const u of spec.usage) {
      const second = u.split(' ')[1] ?? '';
      if (subs.size && !second.startsWith('[') && !second.startsWith('-') && second !== '') continue;
      if (!lines.includes(u)) lines.push(u);
    }
  }
  return lines.map((u) => `authctl ${u}`);
}

/** The README block between the markers: the synopsis of every command. */
export function renderContract(): string {
  return [CONTRACT_BEGIN, '```', ...contractLines(), '```', CONTRACT_END].join('\n');
}

/** Replaces the block between the markers in `readme`. */
export function withContract(readme: string): string {
  const start = readme.indexOf(CONTRACT_BEGIN);
  const end = readme.indexOf(CONTRACT_END);
  if (start < 0 || end < start) throw new Error('README.md has no cli-contract markers');
  return readme.slice(0, start) + renderContract() + readme.slice(end + CONTRACT_END.length);
}

/** roff-safe text: backslashes, hyphens in flags, and no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function manSection(spec: CommandSpec): string[] {
  const out = [`.SS "authctl ${spec.name}"`, roff(`${spec.summary}.${spec.details ? ` ${spec.details}` : ''}`), '.PP', '.nf'];
  for (const u of spec.usage) out.push(roff(`authctl ${u}`));
  out.push('.fi');
  for (const a of spec.args ?? []) out.push('.TP', `\\fI${roff(a.name)}\\fR`, roff(a.description));
  for (const f of visibleFlags(spec)) {
    const short = f.short ? `\\fB\\-${f.short}\\fR, ` : '';
    const value = f.type === 'string' ? ` \\fI${roff(f.value ?? 'VALUE')}\\fR` : '';
    out.push('.TP', `${short}\\fB\\-\\-${roff(f.name)}\\fR${value}`, roff(flagText(f)));
  }
  out.push('.PP', 'Examples:', '.PP', '.RS', '.nf');
  for (const e of spec.examples) out.push(roff(`# ${e.description}`), roff(`$ ${e.command}`));
  out.push('.fi', '.RE', '.PP', roff(`Exit codes: ${spec.exits.join(', ')}. See also: ${spec.related.map((r) => `authctl ${r}`).join(', ')}.`));
  return out;
}

export function renderManPage(): string {
  const out = [
    `.TH AUTHCTL 1 "" "authctl ${VERSION}" "User Commands"`,
    '.SH NAME',
    'authctl \\- a per\\-user credential agent: sign in once, short\\-lived tokens for every command\\-line tool',
    '.SH SYNOPSIS',
    '.B authctl',
    '\\fIcommand\\fR [\\fIsubcommand\\fR] [\\fIflags\\fR]',
    '.SH DESCRIPTION',
    roff(renderOverview().split('\n')[0]!),
    'Every command answers \\fB\\-\\-help\\fR; \\fBauthctl help\\fR \\fIcommand\\fR [\\fIsubcommand\\fR] prints the same.',
  ];
  for (const group of GROUPS) {
    const specs = COMMAND_TABLE.map((e) => e.spec).filter((s) => s.group === group && !s.hidden);
    if (!specs.length) continue;
    out.push(`.SH "${group.toUpperCase()}"`);
    for (const spec of specs) {
      out.push(...manSection(spec));
      for (const sub of spec.subcommands ?? []) out.push(...manSection(sub));
    }
  }
  out.push('.SH "EXIT STATUS"');
  for (const [code, meaning] of Object.entries(EXIT_MEANINGS)) out.push('.TP', `\\fB${code}\\fR`, roff(meaning));
  out.push(
    '.SH ENVIRONMENT',
    roff('AUTHCTL_PROFILE (default profile), AUTHCTL_SOCK (agent socket), AUTHCTL_CONFIG_DIR, AUTHCTL_STATE_DIR, AUTHCTL_TOKEN (a pre-issued token), AUTHCTL_ASKPASS, AUTHCTL_NO_AUTOSTART=1, AUTHCTL_DEBUG=1, NO_COLOR, CLICOLOR_FORCE.'),
    '.SH "SEE ALSO"',
    'git\\-credential(7), kubectl(1), docker(1)',
  );
  return out.join('\n') + '\n';
}
