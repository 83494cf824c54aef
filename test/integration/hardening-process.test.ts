/**
 * The agent's process hardening, seen from outside: the built agent runs as uid 65534
 * (nobody), and other processes of that same uid try to read its environment, attach a
 * debugger and open its inspector. Each attempt is first made against an unhardened
 * process of the same uid (the control), so a pass means the hardening stopped it, not
 * the environment. Root is not special either: root's connections are refused.
 * Yama (ptrace_scope) is not relied on: the controls prove it does not stop them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import {
  auditEvents,
  cliAs,
  giveTree,
  isAlive,
  NOBODY,
  rawRequestAs,
  requireRoot,
  runAs,
  startAs,
  startBuiltAgent,
  waitFor,
  type AgentProcess,
  type Started,
} from '../fixtures/agent-as-user.js';

const PYTHON = '/usr/bin/python3'; // node-gyp needs it to build the addon, so it is there
const INSPECTOR_PORT = 9229;
const IDLE_NODE = ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'];

// PTRACE_ATTACH (16) then PTRACE_DETACH (17), through libc; prints the errno text on failure.
const PTRACE_ATTACH = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long
pid = int(sys.argv[1])
if libc.ptrace(16, pid, None, None) != 0:
    print("ptrace: " + os.strerror(ctypes.get_errno()))
    sys.exit(1)
os.waitpid(pid, 0)
libc.ptrace(17, pid, None, None)
print("attached")
`;

const ENV = { PATH: '/usr/bin:/bin' };
let home: TestHome;
let agent: AgentProcess;
let control: Started;

function inspectorListening(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(INSPECTOR_PORT, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  requireRoot('the anti-ptrace test');
  home = makeTestHome();
  home.writeConfig({ storage: 'file' });
  giveTree(home.dir, NOBODY);
  agent = await startBuiltAgent(home, { user: NOBODY });
  control = startAs(NOBODY, process.execPath, IDLE_NODE, ENV);
  await waitFor('the control process', () => control.stdout().includes('ready'));
});

afterAll(async () => {
  control?.kill('SIGKILL');
  await agent?.stop();
  home?.cleanup();
});

describe('process hardening of the agent (running as nobody)', () => {
  it('runs as uid 65534, not dumpable (its /proc files belong to root), with a core file limit of 0', () => {
    expect(readFileSync(`/proc/${agent.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    expect(readFileSync(`/proc/${agent.pid}/limits`, 'utf8')).toMatch(/^Max core file size\s+0\s+0\s/m);
    expect(statSync(`/proc/${agent.pid}/environ`).uid).toBe(0);
    expect(statSync(`/proc/${control.pid}/environ`).uid).toBe(NOBODY.uid);
  });

  it('a process of the same uid cannot read /proc/<agent pid>/environ (it can read the control\'s)', async () => {
    const ofControl = await runAs(NOBODY, '/bin/cat', [`/proc/${control.pid}/environ`], ENV);
    expect(ofControl.code).toBe(0);
    expect(ofControl.stdout).toContain('PATH=');
    const ofAgent = await runAs(NOBODY, '/bin/cat', [`/proc/${agent.pid}/environ`], ENV);
    expect(ofAgent.code).not.toBe(0);
    expect(ofAgent.stderr).toContain('Permission denied');
    expect(ofAgent.stdout).toBe('');
  });

  it('a process of the same uid cannot ptrace-attach to the agent (it can attach to the control)', async () => {
    expect(existsSync(PYTHON), `${PYTHON} is needed for the ptrace helper (install python3)`).toBe(true);
    const ofControl = await runAs(NOBODY, PYTHON, ['-c', PTRACE_ATTACH, String(control.pid)], ENV);
    expect(ofControl.stdout.trim()).toBe('attached');
    const ofAgent = await runAs(NOBODY, PYTHON, ['-c', PTRACE_ATTACH, String(agent.pid)], ENV);
    expect(ofAgent.code).toBe(1);
    expect(ofAgent.stdout.trim()).toBe('ptrace: Operation not permitted');
  });

  it('`kill -USR1 <agent pid>` from the same uid opens no inspector on 127.0.0.1:9229 (the control opens one)', async () => {
    expect(await inspectorListening(), `something already listens on 127.0.0.1:${INSPECTOR_PORT}; this test cannot tell`).toBe(false);
    const plain = startAs(NOBODY, process.execPath, IDLE_NODE, ENV);
    try {
      await waitFor('the plain node process', () => plain.stdout().includes('ready'));
      expect((await runAs(NOBODY, '/bin/sh', ['-c', `kill -USR1 ${plain.pid}`], ENV)).code).toBe(0);
      await waitFor('the plain process to open its inspector', () => plain.stderr().includes('Debugger listening on ws://127.0.0.1:9229/'));
      expect(await inspectorListening()).toBe(true);
    } finally {
      plain.kill('SIGKILL');
      await plain.exited;
    }
    await waitFor('the inspector port to close again', async () => !(await inspectorListening()));

    expect((await runAs(NOBODY, '/bin/sh', ['-c', `kill -USR1 ${agent.pid}`], ENV)).code).toBe(0);
    await waitFor('the agent to log the signal', () => agent.logs().includes('ignored SIGUSR1'));
    expect(await inspectorListening()).toBe(false);
    expect(agent.stderr()).not.toContain('Debugger listening');
    expect(isAlive(agent.pid)).toBe(true);
    const status = await cliAs(NOBODY, ['status', '--json'], home.env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pid: agent.pid, peerCheck: 'available' });
  });

  it('root is not special: a connection from root is refused before a byte is read, and audited', async () => {
    const root = await rawRequestAs(undefined, home.socket);
    expect(root.connected).toBe(true);
    expect(root.received).toBe('');
    await waitFor('the refusal in the audit log', () => auditEvents(agent.logs()).some((e) => e.peerPid === root.pid));
    expect(auditEvents(agent.logs()).find((e) => e.peerPid === root.pid)).toMatchObject({ outcome: 'refused_peer', peerUid: 0 });
    // The same request from the agent's own uid is answered (the check is not refusing everyone).
    const own = await rawRequestAs(NOBODY, home.socket);
    expect(own.received).toMatch(/^HTTP\/1\.1 200 /);
  });
});
