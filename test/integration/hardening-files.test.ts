/**
 * The agent's files (issue 11, item 14): the session file's temp file is a new file that
 * nobody could have prepared (O_EXCL|O_NOFOLLOW, an unguessable name), the state directory
 * must be the user's and private like the socket directory, and a config file reached
 * through a symbolic link someone else owns is not followed.
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import { FileStore } from '../../daemon/store/file-store.js';
import type { StatusResponse } from '../../shared/api.js';
import { AuthctlError, EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { NOBODY, requireRoot } from '../fixtures/agent-as-user.js';
import { runCli } from '../fixtures/cli.js';

let home: TestHome | undefined;
let agent: RunningAgent | undefined;

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  home?.cleanup();
  home = undefined;
});

const session = { refreshToken: 'rt-file-test', issuer: 'https://idp.example', clientId: 'cli', subject: 'alice', scopes: ['openid'] };

describe('the session file', () => {
  it('is never written through a link planted at a temp file name', async () => {
    home = makeTestHome();
    const dir = join(home.dir, 'state', 'authctl');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const victim = join(home.dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    // The name the store used to write to: sessions.json.<pid>.tmp.
    symlinkSync(victim, join(dir, `sessions.json.${process.pid}.tmp`));
    const store = FileStore.inStateDir(dir);
    await store.set('work', session as never);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    const file = join(dir, 'sessions.json');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect((await store.get('work'))?.subject).toBe('alice');
    // No temp file is left behind but the planted link.
    expect(readdirSync(dir).sort()).toEqual(['sessions.json', `sessions.json.${process.pid}.tmp`]);
  });
});

describe('the state directory', () => {
  it('is refused when someone else owns it, or others can read it (exit 6)', async () => {
    requireRoot('the state directory owner test');
    home = makeTestHome();
    const dir = join(home.dir, 'state', 'authctl');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    lchownSync(dir, NOBODY.uid, NOBODY.gid);
    const owned = await startAgent({ pathEnv: home.pathEnv, log: 'silent' }).catch((e) => e);
    expect(owned).toBeInstanceOf(AuthctlError);
    expect(owned.code).toBe('agent_unavailable');
    expect(owned.message).toContain(`refusing to use the state directory ${dir}: it is owned by uid ${NOBODY.uid}, not by you (uid 0)`);

    lchownSync(dir, 0, 0);
    chmodSync(dir, 0o750);
    const open = await startAgent({ pathEnv: home.pathEnv, log: 'silent' }).catch((e) => e);
    expect(open.message).toContain(`refusing to use the state directory ${dir}: it has mode 750`);
    expect(open.message).toContain(`chmod 700 ${dir}`);

    chmodSync(dir, 0o700);
    agent = await startAgent({ pathEnv: home.pathEnv, log: 'silent' });
  });
});

describe('the config file', () => {
  const planted = { storage: 'file' as const, profiles: { planted: { issuer: 'https://idp.invalid', clientId: 'x', scopes: ['openid'] } } };

  it("is not followed through a symbolic link someone else owns; the user's own link is", async () => {
    requireRoot('the config symlink owner test');
    home = makeTestHome();
    const configDir = join(home.dir, 'config', 'authctl');
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    const target = join(home.dir, 'elsewhere.json');
    writeFileSync(target, JSON.stringify(planted), { mode: 0o644 });
    const link = join(configDir, 'config.json');
    symlinkSync(target, link);
    lchownSync(link, NOBODY.uid, NOBODY.gid);

    agent = await startAgent({ pathEnv: home.pathEnv, log: 'silent' });
    const client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles.map((p) => p.name)).not.toContain('planted');
    expect(status.configErrors?.join('\n')).toContain(`${link}: is a symbolic link owned by uid ${NOBODY.uid}, not by you (uid 0); not following it`);
    const list = await runCli(['profile', 'list'], home.env);
    expect(list.code, list.stderr).toBe(EXIT.usage);
    expect(list.stderr).toContain('not following it');

    // The same link, owned by the user (a dotfiles manager's link): followed.
    lchownSync(link, 0, 0);
    const mine = await client.call<StatusResponse>('GET', '/v1/status');
    expect(mine.configErrors).toBeUndefined();
    expect(mine.profiles.map((p) => p.name)).toContain('planted');
  });
});
