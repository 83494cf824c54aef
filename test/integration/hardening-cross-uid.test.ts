/**
 * Another uid against the agent's socket, modelled on OpenSSH's regress/agent-getpeereid.sh:
 * the built agent runs as this (root) test's uid, clients run as nobody. The 0700 directory
 * stops them first (EACCES); with the directory and socket loosened on purpose, the peer-uid
 * check still refuses them, and the audit log names the refused uid and pid. The CLI of the
 * other uid refuses the directory it does not own (anti-squatting), exit 6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import {
  auditEvents,
  cliAs,
  NOBODY,
  openPathTo,
  rawRequestAs,
  requireRoot,
  startBuiltAgent,
  waitFor,
  type AgentProcess,
} from '../fixtures/agent-as-user.js';

let home: TestHome;
let agent: AgentProcess;
let dir: string;

beforeAll(async () => {
  requireRoot('the cross-uid test');
  home = makeTestHome();
  home.writeConfig({ storage: 'file' });
  openPathTo(home);
  agent = await startBuiltAgent(home);
  dir = dirname(home.socket);
});

afterAll(async () => {
  await agent?.stop();
  home?.cleanup();
});

describe('a client of another uid', () => {
  it('gets EACCES at the 0700 socket directory, so the agent never sees it', async () => {
    const nobody = await rawRequestAs(NOBODY, home.socket);
    expect(nobody).toMatchObject({ connected: false, error: 'EACCES', received: '' });
    expect(auditEvents(agent.logs()).filter((e) => e.outcome === 'refused_peer')).toEqual([]);
  });

  it("its CLI refuses a socket directory it does not own, with exit 6 and what to do", async () => {
    const r = await cliAs(NOBODY, ['status'], { ...home.env, HOME: '/tmp' });
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`refusing to talk to the agent socket in ${dir}: the directory must be yours and mode 700 (it is mode 700, owner uid 0, you are uid ${NOBODY.uid})`);
    expect(r.stderr).toContain('someone else may be squatting it');
  });

  it('with the directory at 0755 and the socket at 0777, the peer-uid check refuses it and the audit log says so', async () => {
    chmodSync(dir, 0o755);
    chmodSync(home.socket, 0o777);
    const nobody = await rawRequestAs(NOBODY, home.socket);
    expect(nobody.connected).toBe(true); // the kernel let it in: only the peer check stands
    expect(nobody.received).toBe('');
    await waitFor('the refusal in the audit log', () => auditEvents(agent.logs()).some((e) => e.peerPid === nobody.pid));
    const refusal = auditEvents(agent.logs()).find((e) => e.peerPid === nobody.pid);
    expect(refusal).toMatchObject({ outcome: 'refused_peer', peerUid: NOBODY.uid, peerExe: realpathSync(process.execPath) });
    expect(String(refusal!.reason)).toContain(`peer uid ${NOBODY.uid} differs from the agent uid 0`);
    // The same raw request from the agent's own uid is answered: the refusal is about the uid.
    const own = await rawRequestAs(undefined, home.socket);
    expect(own.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("the owner's own CLI refuses the loosened directory too, with the chmod to run (exit 6)", async () => {
    const r = await cliAs(undefined, ['status'], home.env);
    expect(r.code).toBe(EXIT.agent);
    expect(r.stderr).toContain(`(it is mode 755, owner uid 0, you are uid 0)`);
    expect(r.stderr).toContain(`run \`chmod 700 ${dir}\``);
    chmodSync(dir, 0o700);
    const again = await cliAs(undefined, ['status'], home.env);
    expect(again.code, again.stderr).toBe(0);
  });
});
