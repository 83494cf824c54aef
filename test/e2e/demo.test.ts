/**
 * The README's first command, end to end: the built demo (`node dist/scripts/demo.js`, after
 * `npm run build`) with no terminal, as CI and the README's readers without a browser run it.
 * It must finish on its own, show a real token and status, and leave nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../dist/scripts/demo.js', import.meta.url));

interface DemoRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: string[]): DemoRun {
  // No stdin at all: the demo must notice it is unattended.
  const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

function homeOf(stdout: string): string | undefined {
  return /^Throw-away home: (\S+)$/m.exec(stdout)?.[1];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('npm run demo', () => {
  it('logs in unattended, prints a token, its claims and the status, and removes its home', async () => {
    const run = startDemo(['--auto-approve']);
    const { code } = await run.exit;
    const stdout = run.stdout();
    expect(code, `stdout:\n${stdout}\nstderr:\n${run.stderr()}`).toBe(0);

    // It says that it approved the login itself, through the IdP's pages.
    expect(stdout).toMatch(/the demo approves the login itself, through the IdP's own pages/);
    // The human lines of `authctl login` reach the user on stderr.
    expect(run.stderr()).toMatch(/one-time code: [A-Z]{4}-[A-Z]{4}/);

    // A JWT-shaped token on a line of its own, and its decoded payload.
    const token = /^(eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+)$/m.exec(stdout)?.[1];
    expect(token).toBeDefined();
    expect(stdout).toContain('"sub": "alice"');
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ sub: 'alice', client_id: 'cli-app' });

    // `authctl status`: the profile is logged in, with its refresh token stored.
    expect(stdout).toMatch(/^demo .*\[user\]$/m);
    expect(stdout).toMatch(/state:\s+logged in as alice/);
    expect(stdout).toMatch(/refresh token: stored/);

    // Nothing left behind.
    const home = homeOf(stdout);
    expect(home).toMatch(/authctl-/);
    expect(existsSync(home!)).toBe(false);
    const agentPid = Number(/The agent \(pid (\d+)\)/.exec(stdout)?.[1]);
    expect(alive(agentPid)).toBe(false);
  });

  it('prints its lines in order, on one stream as a terminal shows them, and its storage note once', async () => {
    // stdout and stderr into one pipe, as a terminal interleaves them.
    const child = spawn('sh', ['-c', `exec "${process.execPath}" "${DEMO}" --auto-approve 2>&1`], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let all = '';
    child.stdout!.on('data', (d) => (all += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, all).toBe(0);
    const at = (pattern: RegExp) => {
      const m = pattern.exec(all);
      expect(m, `${pattern} in:\n${all}`).not.toBeNull();
      return m!.index;
    };
    const userCode = /one-time code: ([A-Z]{4}-[A-Z]{4})/.exec(all)![1]!;
    // The code is shown before the demo says it enters it, and the approval before the login's end.
    expect(at(/one-time code: /)).toBeLessThan(at(new RegExp(`The demo enters the code ${userCode}`)));
    expect(at(/The demo enters the code/)).toBeLessThan(at(/Approved at the IdP\./));
    expect(at(/Approved at the IdP\./)).toBeLessThan(at(/== 5\/6 {2}Get a token/));
    // Each section after the one before.
    const sections = [...all.matchAll(/^== (\d)\/6/gm)].map((m) => Number(m[1]));
    expect(sections).toEqual([1, 2, 3, 4, 5, 6]);
    // The file storage is noted by the demo and warned about by authctl at most once.
    expect(all.match(/Storage: a 0600 file/g)).toHaveLength(1);
    const loginSection = all.slice(at(/== 4\/6/), at(/== 5\/6/));
    expect((loginSection.match(/^WARNING: .*refresh tokens are stored in/gm) ?? []).length).toBeLessThanOrEqual(1);
    expect(at(/to skip typing the code|Then open/)).toBeLessThan(at(/The demo enters the code/));
  });

  it('cleans up on Ctrl-C: the agent stops and the throw-away home is removed', async () => {
    const run = startDemo(['--auto-approve']);
    await waitFor(() => /The agent \(pid \d+\) answers/.test(run.stdout()), 30_000);
    const agentPid = Number(/The agent \(pid (\d+)\)/.exec(run.stdout())![1]);
    const home = homeOf(run.stdout())!;
    expect(existsSync(home)).toBe(true);
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code).toBe(130);
    expect(existsSync(home)).toBe(false);
    await waitFor(() => !alive(agentPid), 5_000);
  });
});
