/**
 * Starts an agent in the background when none answers, like git's credential-cache and
 * gpg-agent: its own session, no inherited stdio (otherwise `T=$(authctl token)` would
 * wait for the pipe to close), and a wait for its socket. Two CLIs racing here end up
 * with one agent: the loser's agent finds the socket live and exits.
 *
 * The agent outlives this command and serves every later one, so it does not inherit this
 * command's environment (an IDE terminal's NODE_OPTIONS=--inspect, NODE_TLS_REJECT_UNAUTHORIZED=0,
 * NODE_EXTRA_CA_CERTS): it gets an allow-listed copy (agentEnvironment). It reports on a
 * pipe (fd 3) whether it started, and why not, so this command can say so.
 */
import { AGENT_NODE_FLAGS } from '../shared/agent-node-flags.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { AuthctlError, type ErrorCode } from '../shared/errors.js';

const WAIT_MS = 10_000;

/**
 * What the agent needs from the starting environment: where the user's files are (HOME,
 * XDG_*, AUTHCTL_* paths), the keychain (the D-Bus session bus, the display a keyring
 * unlock prompt uses), the locale, PATH, and the proxy variables. Nothing else: no
 * NODE_* variable (NODE_OPTIONS, NODE_TLS_*, NODE_DEBUG, NODE_EXTRA_CA_CERTS).
 *
 * Proxy variables pass because corporate networks need them and a proxy cannot read what
 * it carries: TLS to the provider is always verified against the system CAs and the
 * config's `network.caFile`, so a proxy sees host names, not tokens. An extra CA does not
 * pass: together with a proxy it would let whoever set it read every token.
 */
const PASSED = new Set([
  'HOME', 'USER', 'LOGNAME', 'PATH', 'SHELL', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ',
  'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME',
  'DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY',
  'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy',
  'AUTHCTL_CONFIG_DIR', 'AUTHCTL_STATE_DIR', 'AUTHCTL_SYSTEM_CONFIG', 'AUTHCTL_KEYCHAIN_SERVICE', 'AUTHCTL_DEBUG',
  // Windows: where the profile and application data live.
  'USERPROFILE', 'USERNAME', 'APPDATA', 'LOCALAPPDATA', 'ProgramData', 'SystemRoot',
]);

export function agentEnvironment(env: Record<string, string | undefined>, socketPath: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (PASSED.has(k) || k.startsWith('LC_'))) out[k] = v;
  out.AUTHCTL_SOCK = socketPath;
  return out;
}

/** What the agent writes on its report pipe (client/commands/daemon: --report-fd). */
export type StartReport = { started: true } | { alreadyRunning: true } | { error: ErrorCode; message: string };

export async function startAgent(socketPath: string, reachable: () => Promise<boolean>, env: Record<string, string | undefined> = process.env): Promise<void> {
  const main = fileURLToPath(new URL('../../bin/authctl.js', import.meta.url));
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, main, 'daemon', '--foreground', '--log', 'file', '--report-fd', '3'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: agentEnvironment(env, socketPath),
  });
  child.once('error', () => undefined);
  const report = readReport(child.stdio[3] as Readable);
  child.unref();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), WAIT_MS)));
  const r = await Promise.race([report, timeout]);
  clearTimeout(timer);
  if (r && r !== 'timeout' && 'error' in r) throw new AuthctlError('agent_unavailable', `the agent did not start: ${r.message}`);
  if (r && r !== 'timeout' && 'started' in r) return;
  // Another agent won a race (it answers soon), or this one closed the pipe without a word.
  const deadline = Date.now() + (r === 'timeout' ? 0 : WAIT_MS);
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    if (await reachable()) return;
    if (Date.now() >= deadline) break;
    await new Promise((res) => setTimeout(res, delay));
  }
  const why = r === 'timeout' ? `it did not answer on ${socketPath} within ${WAIT_MS / 1000}s` : `it exited before it answered on ${socketPath}`;
  throw new AuthctlError('agent_unavailable', `started an agent, but ${why}; see \`authctl daemon --foreground\``);
}

/** The agent's one JSON line on the report pipe; undefined when it closed the pipe without one. */
function readReport(stream: Readable | null): Promise<StartReport | undefined> {
  if (!stream) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      text += d;
      if (text.length > 64 * 1024) stream.destroy();
    });
    const done = () => {
      try {
        const line = text.split('\n')[0]!;
        resolve(line ? (JSON.parse(line) as StartReport) : undefined);
      } catch {
        resolve(undefined);
      }
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', () => resolve(undefined));
    // The pipe must not keep this command alive once it is done with the agent.
    (stream as unknown as { unref?: () => void }).unref?.();
  });
}
