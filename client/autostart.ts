/**
 * Starts an agent in the background when none answers, like git's credential-cache and
 * gpg-agent: its own session, no inherited stdio (otherwise `T=$(authctl token)` would
 * wait for the pipe to close), and a wait for its socket. Two CLIs racing here end up
 * with one agent: the loser's agent finds the socket live and exits.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuthctlError } from '../shared/errors.js';

const WAIT_MS = 10_000;

export async function startAgent(socketPath: string, reachable: () => Promise<boolean>): Promise<void> {
  const main = fileURLToPath(new URL('../../bin/authctl.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'daemon', '--foreground', '--log', 'file'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, AUTHCTL_SOCK: socketPath },
  });
  child.unref();
  const deadline = Date.now() + WAIT_MS;
  let delay = 20;
  while (Date.now() < deadline) {
    if (await reachable()) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  throw new AuthctlError('agent_unavailable', `started an agent, but it did not answer on ${socketPath} within ${WAIT_MS / 1000}s; see \`authctl daemon --foreground\``);
}
