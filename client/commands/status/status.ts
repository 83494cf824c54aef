/** `authctl status [--json]`: the agent and each profile; never a secret. */
import { parseArgs } from 'node:util';
import type { StatusResponse } from '../../../shared/api.js';
import { EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export interface StatusOptions {
  json: boolean;
}

export async function run(opts: StatusOptions, io: CommandIO, now = Date.now()): Promise<number> {
  const s = await io.agent().call<StatusResponse>('GET', '/v1/status');
  if (opts.json) {
    io.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return EXIT.ok;
  }
  io.stdout.write(renderStatus(s, now));
  return EXIT.ok;
}

export function renderStatus(s: StatusResponse, now: number): string {
  const lines = [
    `agent: pid ${s.pid}, version ${s.version}, up ${duration(s.uptimeSeconds)}`,
    `socket: ${s.socket}`,
    `storage: ${s.storage.backend}${s.storage.error ? ` (ERROR: ${s.storage.error})` : ''}`,
    `peer check: ${s.peerCheck === 'available' ? 'on' : 'peer check unavailable'}`,
  ];
  if (s.storage.warning) lines.push(`WARNING: ${s.storage.warning}`);
  for (const e of s.configErrors ?? []) lines.push(`config error: ${e}`);
  if (!s.profiles.length) lines.push('', 'No profiles. Add one with `authctl profile add NAME --issuer URL --client-id ID`.');
  for (const p of s.profiles) {
    lines.push('', `${p.name}${p.name === s.defaultProfile ? ' (default)' : ''}  [${p.source}]`);
    lines.push(`  issuer:  ${p.issuer}`);
    lines.push(`  state:   ${stateText(p.state)}${p.subject ? ` as ${p.subject}` : ''}`);
    lines.push(`  refresh token: ${p.hasRefreshToken ? 'stored' : 'none'}${p.pendingWrite ? ' (NOT YET WRITTEN to storage; retrying)' : ''}`);
    if (p.error) lines.push(`  error:   ${p.error}`);
    for (const t of p.cachedTokens) {
      const left = t.expiresAt - Math.floor(now / 1000);
      const what = [t.scopes.join(' ') || '(default scopes)', t.audience && `aud ${t.audience}`, t.resource && `resource ${t.resource}`].filter(Boolean).join(', ');
      lines.push(`  token:   ${what}: ${left > 0 ? `expires in ${duration(left)}` : 'expired'}`);
    }
  }
  // Subjects, issuers and errors come from outside: each line is shown without its control characters.
  return lines.map(terminalSafe).join('\n') + '\n';
}

function stateText(state: string): string {
  return { logged_in: 'logged in', login_required: 'login required', logged_out: 'not logged in', unknown: 'unknown' }[state] ?? state;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true });
  return run({ json: values.json }, io);
}
