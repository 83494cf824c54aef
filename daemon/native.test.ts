// Tests for the native addon and its loader, against real sockets and real processes.
// Builds nothing: run `node scripts/build-native.mjs` first. A missing addon FAILS here
// (on Linux and macOS); only Windows, which has no addon to speak of, skips.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findNativeAddon, loadNative, nativeAddonPath, nativeLoadError, peerOf, type NativeAddon, type PeerCredentials } from './native.js';

const isLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** The addon, or a failed test saying why it is missing. */
function addon(): NativeAddon {
  const a = loadNative();
  expect(a, `native addon not loaded: ${nativeLoadError()?.message}`).not.toBeNull();
  return a!;
}

/** Runs `node -e code ...args`; resolves with its pid, exit code and output. */
function runNode(code: string, args: string[], options: { uid?: number; gid?: number; cwd?: string } = {}) {
  const child = spawn(process.execPath, ['-e', code, ...args], {
    ...options,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd ?? os.tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

// Connects to the socket in argv[1], prints what the server sends, exits when it closes.
const CLIENT = `
const s = require('node:net').connect(process.argv[1]);
s.on('data', (d) => process.stdout.write(d));
s.on('end', () => process.exit(0));
s.on('error', (e) => { console.error(e.message); process.exit(2); });
`;

describe.skipIf(process.platform === 'win32')('native addon: peer credentials', () => {
  let dir: string;
  let sockPath: string;
  let server: net.Server;
  /** Peer credentials of each accepted connection, in order; the server answers "ok" and closes. */
  let peers: Array<Promise<PeerCredentials | null>>;
  let nextPeer: (p: PeerCredentials | null) => void;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authctl-native-'));
    sockPath = path.join(dir, 'agent.sock');
    peers = [new Promise((r) => (nextPeer = r))];
    server = net.createServer((socket) => {
      const resolve = nextPeer;
      peers.push(new Promise((r) => (nextPeer = r)));
      resolve(peerOf(socket));
      socket.on('error', () => {}); // clients that hang up early reset the connection
      socket.end('ok');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sockPath, resolve);
    });
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the addon is built and loads', () => {
    const a = addon();
    expect(typeof a.peerCredentials).toBe('function');
    expect(typeof a.hardenProcess).toBe('function');
    expect(findNativeAddon()).toMatch(/native[\\/]build[\\/]Release[\\/]authctl_native\.node$/);
  });

  it('a connection from this process: our uid, gid and pid on both ends', async () => {
    addon();
    const client = net.connect(sockPath);
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const self = { uid: process.geteuid!(), gid: process.getegid!(), pid: process.pid };
    expect(await peers[0]).toEqual(self);
    expect(peerOf(client)).toEqual(self); // the client side sees the server: also us
    client.destroy();
  });

  it("a connection from a child process: the child's pid", async () => {
    addon();
    const child = runNode(CLIENT, [sockPath]);
    const peer = await peers[0];
    const result = await child.done;
    expect(result).toMatchObject({ code: 0, stdout: 'ok' });
    expect(peer).toEqual({ uid: process.geteuid!(), gid: process.getegid!(), pid: child.pid });
  });

  it.runIf(isRoot)('a connection from another user (nobody): uid 65534', async () => {
    addon();
    // Let nobody reach the socket: directory 0755, socket 0777 (test only; the agent uses 0700/0600).
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(sockPath, 0o777);
    const child = runNode(CLIENT, [sockPath], { uid: NOBODY, gid: NOBODY, cwd: dir });
    const peer = await peers[0];
    const result = await child.done;
    expect(result).toMatchObject({ code: 0, stdout: 'ok' });
    expect(peer).toEqual({ uid: NOBODY, gid: NOBODY, pid: child.pid });
  });

  it('null for what is not a Unix socket connection; errors carry errno text', async () => {
    const a = addon();
    // A TCP connection: the addon refuses it (SO_PEERCRED would invent values for it).
    const tcp = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const client = net.connect((tcp.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    expect(() => a.peerCredentials(fd)).toThrow(/not a Unix domain socket/);
    expect(peerOf(client)).toBeNull();
    client.destroy();
    await new Promise((resolve) => tcp.close(resolve));

    // A closed socket has no handle.
    const closed = net.connect(sockPath);
    await new Promise((resolve) => closed.once('connect', resolve));
    closed.destroy();
    expect(peerOf(closed)).toBeNull();

    // A regular file, a bad descriptor, not a number.
    const file = fs.openSync(path.join(dir, 'plain'), 'w');
    try {
      expect(() => a.peerCredentials(file)).toThrow(/^getsockname: .*\(errno \d+\)$/);
    } finally {
      fs.closeSync(file);
    }
    let caught: unknown;
    try {
      a.peerCredentials(1_000_000);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).toMatchObject({ syscall: 'getsockname', errno: 9 /* EBADF, the same on Linux and macOS */ });
    expect(() => a.peerCredentials('3' as unknown as number)).toThrow(TypeError);
    expect(() => a.peerCredentials(-1)).toThrow(TypeError);
    expect(() => a.peerCredentials(1.5)).toThrow(TypeError);
  });
});

describe.runIf(isLinux)('native addon: hardenProcess', () => {
  it('in a child: not dumpable any more, core file size limit 0/0', async () => {
    const file = findNativeAddon();
    expect(file, `native addon not built: ${nativeLoadError()?.message ?? 'not found'}`).not.toBeNull();
    const code = `
      const fs = require('node:fs');
      const a = require(process.argv[1]);
      const coreLimit = () => fs.readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max core file size'));
      const before = { dumpable: a.isDumpable(), coreLimit: coreLimit() };
      const result = a.hardenProcess();
      console.log(JSON.stringify({ before, result, after: { dumpable: a.isDumpable(), coreLimit: coreLimit() } }));
    `;
    const child = runNode(code, [file!]);
    const { code: exitCode, stdout, stderr } = await child.done;
    expect(exitCode, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.before.dumpable).toBe(true);
    expect(report.before.coreLimit).toMatch(/^Max core file size\s+\S+\s+\S+\s+bytes/);
    expect(report.result).toEqual({ nonDumpable: true, coreDisabled: true });
    expect(report.after.dumpable).toBe(false);
    expect(report.after.coreLimit).toMatch(/^Max core file size\s+0\s+0\s+bytes\s*$/);
  });

  it('this process is left alone (isDumpable works without hardening)', () => {
    expect(addon().isDumpable()).toBe(true);
  });
});

describe('findNativeAddon', () => {
  it('from dist/daemon, skips a dist/package.json without the addon and finds the project one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'authctl-find-'));
    try {
      const built = path.join(root, 'native', 'build', 'Release', 'authctl_native.node');
      fs.mkdirSync(path.dirname(built), { recursive: true });
      fs.mkdirSync(path.join(root, 'dist', 'daemon'), { recursive: true });
      fs.writeFileSync(built, '');
      fs.writeFileSync(path.join(root, 'package.json'), '{}');
      fs.writeFileSync(path.join(root, 'dist', 'package.json'), '{}');
      expect(findNativeAddon(path.join(root, 'dist', 'daemon'))).toBe(built);
      expect(findNativeAddon(path.join(root, 'daemon'))).toBe(built);
      fs.rmSync(built);
      expect(findNativeAddon(path.join(root, 'dist', 'daemon'))).toBeNull();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('native addon: where it is loaded from', () => {
  it('only the package\'s own fixed path, never a parent directory', () => {
    expect(nativeAddonPath('/opt/authctl/dist/daemon')).toBe(path.join('/opt/authctl', 'native', 'build', 'Release', 'authctl_native.node'));
    expect(nativeAddonPath('/src/authctl/daemon')).toBe(path.join('/src/authctl', 'native', 'build', 'Release', 'authctl_native.node'));
    // A directory with nothing at the fixed path: no search upwards, whatever the parents hold.
    expect(findNativeAddon('/nonexistent/pkg/dist/daemon')).toBeNull();
  });
});
