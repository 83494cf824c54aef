/** `authctl status [--json]`: the agent and each profile; never a secret. */
import { parseCommandArgs } from '../../cli/parse.js';
import { STATUS_SPEC } from './spec.js';
import type { StatusResponse } from '../../../shared/api.js';
import { EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { PassThrough } from 'node:stream';
import { terminalSafe } from '../../../shared/terminal-text.js';
import { styleFor, type Style } from '../../style.js';

export interface StatusOptions {
  json: boolean;
}

export async function run(opts: StatusOptions, io: CommandIO, now = Date.now()): Promise<number> {
  const s = await io.agent().call<StatusResponse>('GET', '/v1/status');
  // A config that is broken, wholly or in one profile, is a usage error (exit 2) even here.
  const exit = s.configErrors?.length || s.brokenProfiles?.length ? EXIT.usage : EXIT.ok;
  if (opts.json) {
    io.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return exit;
  }
  io.stdout.write(renderStatus(s, now, styleFor(io.stdout, io.env)));
  if (exit !== EXIT.ok) io.stderr.write(`authctl: the config has ${s.configErrors?.length ? 'an error' : 'an invalid profile'} (above): fix the file it names; \`authctl doctor\` checks the whole setup.\n`);
  return exit;
}

interface Marked {
  level: 'ok' | 'warn' | 'fail';
  text: string;
  indent: string;
}
const marked = (level: Marked['level'], text: string, indent = ''): Marked => ({ level, text, indent });

/** The agent's stand-in expiry (9999-12-31) for tokens the provider gave no expiry. */
const NEVER_EXPIRES_S = Date.UTC(9999, 11, 31) / 1000;

export function renderStatus(s: StatusResponse, now: number, style: Style = styleFor(new PassThrough(), {})): string {
  // A marked line gets its ✓ ! X (and colour) after the text is made terminal-safe.
  const lines: (string | Marked)[] = [
    `agent: pid ${s.pid}, version ${s.version}, up ${duration(s.uptimeSeconds)}`,
    `socket: ${s.socket}`,
    `storage: ${s.storage.backend}${s.storage.error ? ` (ERROR: ${s.storage.error})` : ''}`,
    `peer check: ${s.peerCheck === 'available' ? 'on' : 'OFF'}`,
  ];
  if (s.peerCheck !== 'available') {
    lines.push(
      marked('warn', `peer check unavailable: the agent does not verify who connects (${s.peerCheckProblem ?? 'the native addon did not load'}); only the socket directory's permissions keep other users out. Rebuild the addon (\`node scripts/build-native.mjs\`) and restart the agent.`),
    );
  }
  if (s.forwarded) lines.push(`forwarded: this host uses the agent of the machine that ran \`authctl ssh ${s.forwarded.destination}\` (tokens stay there)`);
  else if (s.forwardingSocket) lines.push(`forwarding socket: ${s.forwardingSocket} (for \`authctl ssh\`)`);
  if (s.network) lines.push(`network: ${networkText(s.network)}`);
  if (s.storage.warning) lines.push(marked('warn', s.storage.warning));
  if (s.log) lines.push(`log: ${s.log.kind === 'file' ? `${s.log.path} (\`authctl logs\`)` : s.log.kind === 'journal' ? 'the journal (`journalctl --user -u authctl`)' : s.log.kind}`);
  for (const e of s.configErrors ?? []) lines.push(marked('fail', `config error: ${e}`));
  for (const b of s.brokenProfiles ?? []) lines.push('', marked('fail', `${b.name}  INVALID: the other profiles work; this one cannot until its entry is fixed`), `  error:   ${b.error}`);
  if (!s.profiles.length && !s.configErrors?.length && !s.brokenProfiles?.length) lines.push('', 'No profiles. Add one with `authctl profile add NAME --issuer URL --client-id ID`.');
  for (const p of s.profiles) {
    lines.push('', `${p.name}${p.name === s.defaultProfile ? ' (default)' : ''}  [${p.source}]`);
    lines.push(`  issuer:  ${p.issuer}`);
    lines.push(`  state:   ${stateText(p.state)}${p.subject ? ` as ${p.subject}` : ''}`);
    lines.push(`  refresh token: ${p.hasRefreshToken ? 'stored' : 'none'}${p.pendingWrite ? ' (NOT YET WRITTEN to storage; retrying)' : ''}`);
    if (p.storedIn) lines.push(`  stored in: ${p.storedIn}${p.storeReachable === false ? ' (which this agent cannot reach)' : ''}`);
    if (p.sessionNote) lines.push(`  session: ${p.sessionNote}`);
    else if (p.sessionEndsAt) lines.push(`  session: ends at ${new Date(p.sessionEndsAt * 1000).toISOString().replace('.000Z', 'Z')}`);
    if (p.privilegedSessionExpiresAt) {
      const left = p.privilegedSessionExpiresAt - Math.floor(now / 1000);
      lines.push(`  privileged sign-in: in agent memory, ${left > 0 ? `ends in ${duration(left)}` : 'ended'}`);
    }
    if (p.error) lines.push(marked('fail', `error: ${p.error}`, '  '));
    const loginHint = loginCommand(p);
    if (loginHint) lines.push(`  log in:  ${loginHint}`);
    if (p.clockWarning) lines.push(marked('warn', p.clockWarning, '  '));
    for (const t of p.cachedTokens) {
      const left = t.expiresAt - Math.floor(now / 1000);
      if (t.expiresAt >= NEVER_EXPIRES_S) {
        lines.push(`  token:   ${t.scopes.join(' ') || '(default scopes)'}: does not expire`);
        continue;
      }
      const what = [t.scopes.join(' ') || '(default scopes)', t.audience && `aud ${t.audience}`, t.resource && `resource ${t.resource}`].filter(Boolean).join(', ');
      lines.push(`  token:   ${what}: ${left > 0 ? `expires in ${duration(left)}` : 'expired'}`);
    }
  }
  // Subjects, issuers and errors come from outside: each line is shown without its control characters.
  return lines.map((l) => (typeof l === 'string' ? terminalSafe(l) : `${l.indent}${style.mark(l.level)} ${terminalSafe(l.text)}`)).join('\n') + '\n';
}

/** The command that logs a profile in, when it needs one (a CI profile never does). */
function loginCommand(p: StatusResponse['profiles'][number]): string | undefined {
  if (p.state === 'logged_in' || p.federation) return undefined;
  if (p.state === 'unknown' && p.storedIn) return undefined; // a session exists, out of reach: the error line says what to do
  return `authctl login --profile ${p.name}`;
}

function networkText(n: NonNullable<StatusResponse['network']>): string {
  const proxy =
    n.proxySource === 'none'
      ? 'no proxy'
      : `proxy ${[n.httpsProxy && `https ${n.httpsProxy}`, n.httpProxy && n.httpProxy !== n.httpsProxy && `http ${n.httpProxy}`].filter(Boolean).join(', ') || 'direct'} (from the ${n.proxySource === 'config' ? 'config' : "agent's environment"})${n.noProxy ? `, not for ${n.noProxy}` : ''}`;
  const cas = n.caFiles.length ? `extra CAs ${n.caFiles.map((c) => `${c.file} (${c.source === 'config' ? 'config' : "agent's environment"})`).join(', ')}` : 'system CAs';
  return `${proxy}; ${cas}; TLS always verified`;
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
  const { values } = parseCommandArgs(STATUS_SPEC, argv);
  return run({ json: values.json }, io);
}
