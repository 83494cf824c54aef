/**
 * What the built agent does with whatever already sits at its socket path: a dead socket
 * is replaced; a live agent makes the second one exit with a clear message; a regular
 * file or a symlink is never deleted; a socket directory that is another user's, loosely
 * permitted or a symlink makes the agent refuse to start (exit 6), and it is left as found.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, NOBODY, rawRequestAs, requireRoot, startAs, startBuiltAgent, waitFor, type AgentProcess } from '../fixtures/agent-as-user.js';

let home: TestHome;
let agents: AgentProcess[] = [];

function freshHome(): TestHome {
  home = makeTestHome();
  home.writeConfig({ storage: 'file' });
  return home;
}

/** `authctl daemon --foreground` that is expected to exit on its own. */
const startDaemon = () => cliAs(undefined, ['daemon', '--foreground', '--log', 'file'], home.env);

afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
  home?.cleanup();
});

describe('the socket path at start', () => {
  it('a dead socket (its listener was killed) is replaced', async () => {
    freshHome();
    mkdirSync(dirname(home.socket), { mode: 0o700 });
    const listener = startAs(undefined, process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(home.socket)}, () => console.log('up'))`], { PATH: '/usr/bin:/bin' });
    await waitFor('the doomed listener', () => listener.stdout().includes('up'));
    listener.kill('SIGKILL');
    await listener.exited;
    expect(lstatSync(home.socket).isSocket()).toBe(true);
    expect(await rawRequestAs(undefined, home.socket)).toMatchObject({ connected: false, error: 'ECONNREFUSED' });

    agents.push(await startBuiltAgent(home));
    const status = await cliAs(undefined, ['status', '--json'], home.env);
    expect(JSON.parse(status.stdout).pid).toBe(agents[0]!.pid);
  });

  it('a live agent makes a second one exit with a clear message, and keeps its socket', async () => {
    freshHome();
    const first = await startBuiltAgent(home);
    agents.push(first);
    const inode = lstatSync(home.socket).ino;
    const second = await startDaemon();
    expect(second.code).toBe(EXIT.ok);
    expect(second.stderr).toContain(`an agent is already running on ${home.socket}`);
    expect(lstatSync(home.socket).ino).toBe(inode);
    const status = await cliAs(undefined, ['status', '--json'], home.env);
    expect(JSON.parse(status.stdout).pid).toBe(first.pid);
  });

  it('a regular file at the socket path is never deleted (exit 6)', async () => {
    freshHome();
    mkdirSync(dirname(home.socket), { mode: 0o700 });
    writeFileSync(home.socket, 'precious', { mode: 0o600 });
    const r = await startDaemon();
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`${home.socket} exists and is not a socket; not deleting it`);
    expect(readFileSync(home.socket, 'utf8')).toBe('precious');
  });

  it('a symlink at the socket path is never deleted, nor what it points to (exit 6)', async () => {
    freshHome();
    mkdirSync(dirname(home.socket), { mode: 0o700 });
    const target = join(home.dir, 'elsewhere');
    writeFileSync(target, 'target', { mode: 0o600 });
    symlinkSync(target, home.socket);
    const r = await startDaemon();
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain('exists and is not a socket; not deleting it');
    expect(lstatSync(home.socket).isSymbolicLink()).toBe(true);
    expect(readlinkSync(home.socket)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('target');
  });

  it('a socket directory with group/other access makes it refuse to start, and it is left as found', async () => {
    freshHome();
    const dir = dirname(home.socket);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const r = await startDaemon();
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`refusing to use the socket directory ${dir}: it has mode 755`);
    expect(r.stderr).toContain(`chmod 700 ${dir}`);
    expect(lstatSync(dir).mode & 0o777).toBe(0o755);
    expect(existsSync(home.socket)).toBe(false);
  });

  it('a socket directory owned by another user makes it refuse to start, and it is left as found', async () => {
    requireRoot('the squatted-directory test');
    freshHome();
    const dir = dirname(home.socket);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY.uid, NOBODY.gid);
    const r = await startDaemon();
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`refusing to use the socket directory ${dir}: it is owned by uid ${NOBODY.uid}, not by you (uid 0)`);
    expect(lstatSync(dir).uid).toBe(NOBODY.uid);
    expect(existsSync(home.socket)).toBe(false);
  });

  it('a socket directory that is a symlink (to a private directory) makes it refuse to start', async () => {
    freshHome();
    const real = join(home.dir, 'real-run');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, dirname(home.socket));
    const r = await startDaemon();
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`refusing to use the socket directory ${dirname(home.socket)}: it is a symbolic link`);
    expect(existsSync(join(real, 'agent.sock'))).toBe(false);
  });
});
