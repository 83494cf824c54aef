/**
 * The remote end of `authctl ssh`: a forwarded socket in a shared directory such as /tmp is
 * accepted only when AUTHCTL_SOCK names it and the socket itself is the user's with mode 0600
 * (what sshd creates); a squatter's socket, a loose mode or a link is refused, and a vanished
 * forward is never replaced by an autostarted agent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, checkSocketDir } from './agent-client.js';

let shared: string;
let sock: string;
let server: Server;
const open = new Set<Socket>();
const uid = process.getuid!();

beforeEach(async () => {
  shared = mkdtempSync(join(tmpdir(), 'authctl-shared-'));
  chmodSync(shared, 0o1777); // like /tmp
  sock = join(shared, 'authctl-forward.sock');
  server = createServer((c) => {
    open.add(c);
    c.once('close', () => open.delete(c));
    c.once('data', () => c.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'));
  });
  await new Promise<void>((r) => server.listen(sock, r));
  chmodSync(sock, 0o600);
});

afterEach(async () => {
  for (const c of open) c.destroy();
  await new Promise((r) => server.close(r));
  rmSync(shared, { recursive: true, force: true });
});

describe('a forwarded agent socket', () => {
  it('is accepted in a shared directory when AUTHCTL_SOCK names it and it is ours with mode 0600', async () => {
    expect(checkSocketDir(sock, uid, { AUTHCTL_SOCK: sock })).toBe('forwarded');
    const client = new AgentClient({ socketPath: sock, autostart: true, env: { AUTHCTL_SOCK: sock } });
    expect(await client.call('GET', '/v1/status')).toEqual({});
    expect(client.socketKind).toBe('forwarded');
  });

  it('is refused when not named by AUTHCTL_SOCK (the default path must be private)', () => {
    expect(() => checkSocketDir(sock, uid, {})).toThrow(/directory must be yours and mode 700/);
  });

  it('is refused with a loose mode, through a link, or owned by someone else', () => {
    chmodSync(sock, 0o666);
    expect(() => checkSocketDir(sock, uid, { AUTHCTL_SOCK: sock })).toThrow(/refusing to talk/);
    chmodSync(sock, 0o600);
    const link = join(shared, 'link.sock');
    symlinkSync(sock, link);
    expect(() => checkSocketDir(link, uid, { AUTHCTL_SOCK: link })).toThrow(/refusing to talk/);
    if (uid === 0) {
      chownSync(sock, 65534, 65534);
      expect(() => checkSocketDir(sock, uid, { AUTHCTL_SOCK: sock })).toThrow(/refusing to talk/);
    }
  });

  it('says the ssh session ended when the forward is gone, and starts no agent in its place', async () => {
    const gone = join(shared, 'gone.sock');
    const client = new AgentClient({ socketPath: gone, autostart: true, env: { AUTHCTL_SOCK: gone } });
    await expect(client.call('GET', '/v1/status')).rejects.toMatchObject({ code: 'agent_unavailable', message: expect.stringContaining('`authctl ssh` session that forwarded it has ended') });
    await new Promise<void>((r) => server.close(() => r()));
    const dead = new AgentClient({ socketPath: sock, autostart: true, env: { AUTHCTL_SOCK: sock } });
    await expect(dead.call('GET', '/v1/status')).rejects.toMatchObject({ message: expect.stringContaining('session that forwarded it has ended') });
    server = createServer();
  });
});
