/**
 * `authctl daemon stop` signals the process the kernel names as the socket's peer, never
 * the pid an answer claims (issue 11, item 15). An impostor of the same uid squats the
 * agent socket with a tiny node:http server whose status names another process's pid; the
 * stop must not kill that process. A real agent is still stopped.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, isAlive, startAs, startBuiltAgent, waitFor, type Started } from '../fixtures/agent-as-user.js';

let home: TestHome | undefined;
let victim: Started | undefined;
let impostor: Server | undefined;

afterEach(async () => {
  victim?.kill('SIGKILL');
  victim = undefined;
  if (impostor) await new Promise((r) => impostor!.close(r));
  impostor = undefined;
  home?.cleanup();
  home = undefined;
});

describe('authctl daemon stop', () => {
  it("does not kill the process an impostor's status names", async () => {
    home = makeTestHome();
    victim = startAs(undefined, process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], { PATH: '/usr/bin:/bin' });
    await waitFor('the victim process', () => victim!.stdout().includes('ready'));
    const victimPid = victim.pid;
    mkdirSync(dirname(home.socket), { recursive: true, mode: 0o700 });
    impostor = createServer((_req, res) => {
      const body = JSON.stringify({ version: '0.1.0', pid: victimPid, uptimeSeconds: 1, socket: home!.socket, storage: { backend: 'file' }, peerCheck: 'available', profiles: [] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => impostor!.listen(home!.socket, resolve));

    const r = await cliAs(undefined, ['daemon', 'stop'], home.env);
    expect(r.code, r.stderr).toBe(EXIT.unexpected);
    expect(r.stderr).toContain(`is pid ${process.pid} (as the kernel says), but it answered as pid ${victimPid}`);
    expect(r.stderr).toContain('nothing was signalled');
    await new Promise((res) => setTimeout(res, 200));
    expect(isAlive(victimPid)).toBe(true);
  });

  it('stops a real agent: the kernel and the answer agree', async () => {
    home = makeTestHome();
    home.writeConfig({ storage: 'file' });
    const agent = await startBuiltAgent(home);
    const r = await cliAs(undefined, ['daemon', 'stop'], home.env);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stderr).toContain(`Stopped the agent (pid ${agent.pid}).`);
    const exit = await agent.exited;
    expect(exit.code).toBe(0);
  });
});
