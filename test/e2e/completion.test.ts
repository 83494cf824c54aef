/**
 * Shell completion, loaded into the real shells: bash (the function its `complete -F`
 * registers, called with COMP_WORDS as readline would) and zsh (an interactive zsh in tmux,
 * the script installed on $fpath as the README says, and a real Tab). The candidates come
 * from the built CLI's `authctl __complete` and the test home's config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, runCli } from '../fixtures/cli.js';

let home: TestHome;
let env: Record<string, string>;
let tmuxSocket: string | undefined;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

beforeAll(() => {
  home = makeTestHome();
  home.writeConfig({
    profiles: {
      work: { issuer: 'https://idp.example.com', clientId: 'cli', scopes: ['openid'] },
      home: { issuer: 'https://idp.example.org', clientId: 'cli', scopes: ['openid'] },
    },
  });
  // `authctl` on PATH, as an installed one would be.
  const bin = join(home.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'authctl'), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(CLI)} "$@"\n`);
  chmodSync(join(bin, 'authctl'), 0o755);
  env = { ...home.env, PATH: `${bin}:${dirname(process.execPath)}:${home.env.PATH}` };
});

afterAll(() => {
  if (tmuxSocket) execFileSync('tmux', ['-S', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
  home?.cleanup();
});

describe('authctl __complete', () => {
  it.each([
    [['to'], ['token']],
    [['se'], ['setup-git', 'setup-kube', 'setup-docker', 'service']],
    [['profile', ''], ['add', 'list', 'show', 'use', 'remove']],
    [['profile', 'show', ''], ['work', 'home']],
    [['token', '--pro'], ['--profile']],
    [['token', '-p', 'w'], ['work']],
    [['env', '--format', ''], ['sh', 'fish', 'json']],
    [['help', 'profile', 'r'], ['remove']],
    [['completion', ''], ['bash', 'zsh', 'fish']],
    [['exec', '--profile', 'home', '--', 'ls', '--'], []],
  ])('%j → %j', async (words, expected) => {
    const r = await runCli(['__complete', '--', ...words], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...expected].sort());
  });

  it('stays quiet with a broken config', async () => {
    const h = makeTestHome();
    try {
      h.writeConfig({ profiles: { w: { issuer: 'nope' } } } as never);
      expect(await runCli(['__complete', '--', 'token', '--profile', ''], h.env)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    } finally {
      h.cleanup();
    }
  });
});

describe('bash', () => {
  it('completes a command, a subcommand, a flag, a flag value and a profile name', () => {
    const script = `
      eval "$(authctl completion bash)"
      complete -p authctl
      comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _authctl_complete; printf '%s\\n' "\${COMPREPLY[@]}"; echo --; }
      comp authctl to
      comp authctl profile re
      comp authctl token --pro
      comp authctl token --profile wo
      comp authctl env --format f
    `;
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], { env, encoding: 'utf8' });
    const [registered, ...answers] = out.split('--\n');
    expect(registered!.split('\n')[0]).toBe('complete -o default -F _authctl_complete authctl');
    expect(registered!.split('\n')[1]).toBe('token');
    expect(answers.map((a) => a.trim())).toEqual(['remove', '--profile', 'work', 'fish', '']);
  });
});

describe('zsh', () => {
  it('authctl to<TAB> completes to token, and a flag and a profile name complete, in an interactive zsh', async () => {
    const zdot = join(home.dir, 'zdot');
    const fpathDir = join(home.dir, 'zfunc');
    mkdirSync(zdot);
    mkdirSync(fpathDir);
    // Installed as the README says: the script as _authctl on $fpath, then compinit.
    writeFileSync(join(fpathDir, '_authctl'), execFileSync('authctl', ['completion', 'zsh'], { env, encoding: 'utf8' }));
    const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`);
    writeFileSync(join(zdot, '.zshrc'), [...exports, "PS1='zsh> '", `fpath=(${quote(fpathDir)} $fpath)`, `autoload -Uz compinit && compinit -u -d ${quote(join(home.dir, 'zcompdump'))}`, ''].join('\n'));
    tmuxSocket = join(home.dir, 'tmux.sock');
    const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket!, ...args], { encoding: 'utf8' });
    execFileSync('tmux', ['-S', tmuxSocket, '-f', '/dev/null', 'new-session', '-d', '-s', 'z', '-x', '200', '-y', '40', `env -i ZDOTDIR=${quote(zdot)} TERM=xterm HOME=${quote(home.dir)} zsh -i`], {
      env: { ...process.env, TERM: 'xterm' },
    });
    const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'z');
    const lastLine = () => screen().split('\n').filter((l) => l.trim()).at(-1) ?? '';
    const until = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`zsh never showed ${what}; the screen:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until('its prompt', () => lastLine().startsWith('zsh> '));
    const typeAndTab = async (typed: string, expected: string) => {
      tmux('send-keys', '-t', 'z', 'C-u');
      tmux('send-keys', '-t', 'z', '-l', typed);
      tmux('send-keys', '-t', 'z', 'Tab');
      await until(`"${expected}" after ${typed}<TAB>`, () => lastLine().trimEnd() === `zsh> ${expected}`.trimEnd());
    };
    await typeAndTab('authctl to', 'authctl token ');
    await typeAndTab('authctl token --pro', 'authctl token --profile ');
    await typeAndTab('authctl token --profile wo', 'authctl token --profile work ');
    await typeAndTab('authctl profile rem', 'authctl profile remove ');
  });
});
