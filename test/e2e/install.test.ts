/**
 * Installing as users do (#15 item 1): the project is packed (`npm pack`, whose prepack
 * builds dist/) from a private copy of the sources, and the tarball is installed globally
 * into a temporary prefix. The three commands land on PATH; with a C compiler they are the
 * native client, which answers a cached `authctl token` from a real agent itself; without
 * one (CC=false) they are the Node launchers and everything still works, and `doctor` says
 * which. A copy that was never built says so in one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, loginViaCli, runCli } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { runProgram } from '../fixtures/native-client.js';
import { isNativeProgram } from '../../client/commands/doctor/native-client.js';

const ROOT = dirname(dirname(CLI));
let work: string;
let src: string;
let tarball: string;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;

/** The environment for npm: this one without the npm_* variables of an outer `npm test`. */
function npmEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function npm(args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env: npmEnv(extra), encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function install(name: string, extra: Record<string, string> = {}): string {
  const prefix = join(work, name);
  npm(['install', '--global', '--prefix', prefix, tarball], work, extra);
  return join(prefix, 'bin');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'authctl-install-'));
  src = join(work, 'src');
  // The tracked sources (and new ones not yet committed), never this checkout's build output.
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(join(ROOT, f), join(src, f), { verbatimSymlinks: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
  idp = await startTestIdp();
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'] } } });
  agent = await spawnAgent(home.env, home.socket);
  const login = await loginViaCli(['--profile', 'p'], home.env, (code) => idp.approveDevice(code));
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('install', () => {
  it('a copy that was never built says so in one line (exit 1), for token and the full CLI alike', async () => {
    for (const args of [['token'], ['status']]) {
      const r = await runProgram(process.execPath, [join(src, 'bin', 'authctl.js'), ...args], home.env);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: 'authctl is not built: run npm run build\n' });
    }
  });

  it('npm pack builds; npm install -g of the tarball puts the native client on PATH and it answers from the agent', async () => {
    npm(['pack', '--pack-destination', work], src);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    const bin = install('prefix');
    for (const name of ['authctl', 'git-credential-authctl', 'docker-credential-authctl']) expect(isNativeProgram(join(bin, name)), name).toBe(true);

    const env = { ...home.env, PATH: `${bin}:${home.env.PATH}` };
    const version = await runProgram(join(bin, 'authctl'), ['--version'], env);
    expect({ code: version.code, stdout: version.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^authctl \d+\.\d+\.\d+/) });

    const expected = await runCli(['token', '--profile', 'p'], home.env);
    expect(expected.code, expected.stderr).toBe(0);
    const token = await runProgram(join(bin, 'authctl'), ['token', '--profile', 'p'], { ...env, AUTHCTL_NATIVE_TRACE: '1' });
    expect({ code: token.code, stdout: token.stdout, stderr: token.stderr }).toEqual({ code: 0, stdout: expected.stdout, stderr: 'authctl-native: answered\n' });

    const doctor = await runProgram(join(bin, 'authctl'), ['doctor'], env);
    expect(doctor.stdout).toMatch(/^✓ native client: in use: .*\/bin\/authctl answers cached tokens without starting Node\.js$/m);
    const helper = await runProgram(join(bin, 'git-credential-authctl'), ['capability'], env);
    expect({ code: helper.code, stdout: helper.stdout }).toEqual({ code: 0, stdout: 'version 0\ncapability authtype\n' });
    // git's and kubectl's cached requests, answered by the client itself.
    const git = await runProgram(join(bin, 'git-credential-authctl'), ['--profile', 'p', 'get'], { ...env, AUTHCTL_NATIVE_TRACE: '1' }, { input: 'protocol=https\nhost=git.example.invalid\n\n' });
    expect({ code: git.code, stdout: git.stdout, stderr: git.stderr }).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^username=oauth2\npassword=${expected.stdout.trim()}\n`)), stderr: 'authctl-native: answered\n' });
    const kube = await runProgram(join(bin, 'authctl'), ['kube', '--profile', 'p'], { ...env, AUTHCTL_NATIVE_TRACE: '1' });
    expect({ code: kube.code, stderr: kube.stderr }).toEqual({ code: 0, stderr: 'authctl-native: answered\n' });
    expect(JSON.parse(kube.stdout).status.token).toBe(expected.stdout.trim());
  }, 300_000);

  it('without a C compiler the install still works on the Node path, and doctor says so', async () => {
    expect(tarball).toBeDefined();
    const bin = install('prefix-nocc', { CC: 'false' });
    expect(isNativeProgram(join(bin, 'authctl'))).toBe(false);
    const env = { ...home.env, PATH: `${bin}:${home.env.PATH}` };
    const expected = await runCli(['token', '--profile', 'p'], home.env);
    const token = await runProgram(join(bin, 'authctl'), ['token', '--profile', 'p'], { ...env, AUTHCTL_NATIVE_TRACE: '1' });
    expect({ code: token.code, stdout: token.stdout, stderr: token.stderr }).toEqual({ code: 0, stdout: expected.stdout, stderr: '' });
    const doctor = await runProgram(join(bin, 'authctl'), ['doctor'], env);
    expect(doctor.stdout).toMatch(/^! native client: not built \(a C compiler is needed at install\): every command starts Node\.js/m);
  }, 300_000);
});
