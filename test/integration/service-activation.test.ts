/**
 * The built agent under real socket activation: `systemd-socket-activate` binds the socket
 * and execs `authctl daemon --foreground` on the first connection, exactly as a systemd
 * socket unit hands over its fd. A probe launcher (a main script that installs an exit hook,
 * then runs the CLI in the same process; the agent refuses preloads such as
 * NODE_OPTIONS=--import) records which LISTEN_* variables the agent still had when it exited. Also: the client prefers the
 * service socket over autostart, a second agent steps back, and journal detection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import type { StatusResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, runCli } from '../fixtures/cli.js';

let home: TestHome;
let probeOut: string;
let agentEnv: Record<string, string>;
/** Runs the CLI in-process after installing the LISTEN_* probe: `node PROBED daemon ...`. */
let PROBED: string;
/** The CLI as a user runs it: autostart on. */
let userEnv: Record<string, string>;
const children: ChildProcess[] = [];

beforeEach(() => {
  home = makeTestHome();
  mkdirSync(dirname(home.socket), { mode: 0o700 });
  probeOut = join(home.dir, 'listen-env.json');
  PROBED = join(home.dir, 'listen-env-probe.mjs');
  writeFileSync(
    PROBED,
    `import { writeFileSync } from 'node:fs';\n` +
      `process.on('exit', () => writeFileSync(${JSON.stringify(probeOut)}, JSON.stringify(Object.keys(process.env).filter((k) => k.startsWith('LISTEN_')))));\n` +
      `process.argv.splice(1, 1, ${JSON.stringify(CLI)});\n` +
      `await import(${JSON.stringify(pathToFileURL(CLI).href)});\n`,
  );
  agentEnv = { ...home.env };
  userEnv = { ...home.env };
  delete userEnv.AUTHCTL_NO_AUTOSTART;
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  home.cleanup();
});

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(argv: string[], env: Record<string, string>, stderrFd?: number): Running {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', stderrFd ?? 'pipe'] });
  children.push(child);
  let text = '';
  child.stderr?.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => text, exited };
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (children.some((c) => c.exitCode !== null)) throw new Error(`a child exited while waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * systemd-socket-activate binds `path` now, and execs the command on the first connection.
 * It passes on only PATH, HOME, USER and TERM; `-E NAME` hands over the rest of the test
 * home's environment, as a unit's environment would be.
 */
async function socketActivated(path: string, command: string[]): Promise<Running> {
  const pass = Object.keys(agentEnv).flatMap((name) => ['-E', name]);
  const sa = start(['systemd-socket-activate', '-l', path, ...pass, ...command], agentEnv);
  await until('systemd-socket-activate listening', () => sa.stderr().includes('Listening on'));
  return sa;
}

const listenVarsAtExit = (): string[] => JSON.parse(readFileSync(probeOut, 'utf8'));
const isSocket = (path: string) => existsSync(path) && lstatSync(path).isSocket();

describe('socket activation (systemd-socket-activate)', () => {
  it('serves on the inherited fd, clears LISTEN_*, and leaves the socket systemd owns', async () => {
    const sa = await socketActivated(home.socket, [process.execPath, PROBED, 'daemon', '--foreground']);

    // The client, autostart on, just connects: the connection itself starts the agent.
    const status = await runCli(['status', '--json'], userEnv);
    expect(status.stderr).toBe('');
    const s = JSON.parse(status.stdout) as StatusResponse;
    expect(s.pid).toBe(sa.child.pid);
    expect(s.socket).toBe(home.socket);
    expect(sa.stderr()).toMatch(/"listen":"inherited"/);
    // An autostarted agent (`daemon --log file`) would have created its log file.
    expect(existsSync(join(home.dir, 'state', 'authctl', 'logs', 'agent.log'))).toBe(false);

    sa.child.kill('SIGTERM');
    expect(await sa.exited).toBe(0);
    expect(listenVarsAtExit()).toEqual([]);
    expect(isSocket(home.socket)).toBe(true);
  });

  it('a second agent on the service socket steps back with a clear message', async () => {
    const sa = await socketActivated(home.socket, [process.execPath, PROBED, 'daemon', '--foreground']);
    const second = await runCli(['daemon', '--foreground'], userEnv);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`an agent is already running on ${home.socket}; not starting a second one`);
    const s = JSON.parse((await runCli(['status', '--json'], userEnv)).stdout) as StatusResponse;
    expect(s.pid).toBe(sa.child.pid);
    sa.child.kill('SIGTERM');
    expect(await sa.exited).toBe(0);
  });

  it('ignores a LISTEN_PID that is not its own: binds its own socket, and removes it at exit', async () => {
    const decoy = join(home.dir, 'decoy', 'agent.sock');
    mkdirSync(dirname(decoy), { mode: 0o700 });
    // `env` replaces LISTEN_PID and execs node in the same process, so fd 3 is there but not meant for it.
    const sa = await socketActivated(decoy, ['/usr/bin/env', 'LISTEN_PID=1', process.execPath, PROBED, 'daemon', '--foreground']);
    const trigger: Socket = connect(decoy);
    trigger.on('error', () => undefined);
    const client = new AgentClient({ socketPath: home.socket, autostart: false });
    await until('the agent on its own socket', () => client.reachable());
    const s = await client.call<StatusResponse>('GET', '/v1/status');
    expect(s.pid).toBe(sa.child.pid);
    expect(sa.stderr()).toContain(`ignored LISTEN_FDS: LISTEN_PID=1 is not this process (${sa.child.pid})`);
    expect(sa.stderr()).toMatch(/"listen":"socket"/);
    trigger.destroy();

    sa.child.kill('SIGTERM');
    expect(await sa.exited).toBe(0);
    expect(listenVarsAtExit()).toEqual([]);
    expect(existsSync(home.socket)).toBe(false);
    expect(isSocket(decoy)).toBe(true);
  });
});

describe('journal detection', () => {
  async function agentLines(journalStream: (dev: bigint, ino: bigint) => string): Promise<string[]> {
    const file = join(home.dir, 'stderr.log');
    const fd = openSync(file, 'w');
    const st = fstatSync(fd, { bigint: true });
    const agent = start([process.execPath, CLI, 'daemon', '--foreground'], { ...home.env, JOURNAL_STREAM: journalStream(st.dev, st.ino) }, fd);
    closeSync(fd);
    const client = new AgentClient({ socketPath: home.socket, autostart: false });
    await until('the agent', () => client.reachable());
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  }

  it('logs JSON lines with syslog priorities when stderr is the journal stream', async () => {
    const lines = await agentLines((dev, ino) => `${dev}:${ino}`);
    expect(lines.some((l) => l.startsWith('<6>{') && l.includes('"agent started"'))).toBe(true);
    for (const l of lines) expect(l).toMatch(/^<[3467]>\{.*\}$/);
  });

  it('logs plain JSON lines when JOURNAL_STREAM names another stream (inherited, not ours)', async () => {
    const lines = await agentLines((dev, ino) => `${dev}:${ino + 1n}`);
    expect(lines.some((l) => l.includes('"agent started"'))).toBe(true);
    for (const l of lines) expect(l).toMatch(/^\{.*\}$/);
  });
});
