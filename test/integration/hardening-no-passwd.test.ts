/**
 * A uid without a passwd entry (containers run arbitrary uids): the agent starts and
 * answers, using the uid and HOME from the environment (issue 11, item 12). The uid is
 * taken with setpriv; no user is created.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../shared/api.js';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { giveTree, requireRoot, runAs, startAs, waitFor, type Started } from '../fixtures/agent-as-user.js';
import { CLI } from '../fixtures/cli.js';

let home: TestHome | undefined;
let agent: Started | undefined;

afterEach(async () => {
  agent?.kill('SIGTERM');
  await agent?.exited;
  agent = undefined;
  home?.cleanup();
  home = undefined;
});

/** A uid that no passwd entry (files, or any NSS source) names. */
function unusedUid(): number {
  for (let uid = 47_000 + Math.floor(Math.random() * 1000); ; uid++) {
    try {
      execFileSync('getent', ['passwd', String(uid)], { stdio: 'ignore' });
    } catch {
      return uid;
    }
  }
}

const asUid = (uid: number, args: string[]) => ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', process.execPath, CLI, ...args];

describe('an agent for a uid without a passwd entry', () => {
  it('starts, logs that it started, runs as that uid, and answers', async () => {
    requireRoot('the no-passwd test');
    const uid = unusedUid();
    home = makeTestHome();
    home.writeConfig({ storage: 'file' });
    giveTree(home.dir, { uid, gid: uid });
    const { USER: _user, ...env } = home.env; // nobody to be: no USER either
    agent = startAs(undefined, 'setpriv', asUid(uid, ['daemon', '--foreground', '--log', 'file']), env);
    let exited = false;
    void agent.exited.then(() => (exited = true));
    await waitFor('the agent to start or exit', () => exited || home!.logs().includes('"message":"agent started"'), 20_000);
    expect(exited, `${agent.stderr()}\n${home.logs()}`).toBe(false);
    expect(readFileSync(`/proc/${agent.pid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s`, 'm'));

    const status = await runAs(undefined, 'setpriv', asUid(uid, ['status', '--json']), env);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    expect((JSON.parse(status.stdout) as StatusResponse).pid).toBe(agent.pid);
  });
});
