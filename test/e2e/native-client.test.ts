/**
 * The native hot-path client against the real agent and the real test IdP: every output
 * format and every exit-code path of `authctl token` gives the very same stdout, stderr and
 * exit code as the Node CLI, byte for byte; the cached answers come from the native client
 * itself (AUTHCTL_NATIVE_TRACE), everything else from the Node CLI it hands over to, with
 * stdin intact for git's and docker's helpers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, TEST_RESOURCE, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { NATIVE_DIR, nativeBuilt, runNative, runNode } from '../fixtures/native-client.js';
import { execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;

beforeAll(async () => {
  if (!nativeBuilt()) throw new Error('native/client/build/authctl is missing: run npm run build (it needs a C compiler)');
  idp = await startTestIdp();
  home = makeTestHome();
  home.writeConfig(config());
  agent = await spawnAgent(home.env, home.socket);
  const login = await loginViaCli(['--profile', 'p'], home.env, (code) => idp.approveDevice(code));
  expect(login.code, login.stderr).toBe(0);
});

/** The test's config; `extra` adds settings to profile p (a test that sets them puts the config back). */
function config(extra: Record<string, unknown> = {}) {
  return {
    storage: 'file' as const,
    defaultProfile: 'p',
    profiles: {
      p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'], match: [{ host: 'git.example.invalid' }], registries: ['registry.example.invalid', '127.0.0.1:5000'], registryUsername: 'robot"x\\y', ...extra },
      q: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access'], match: [{ host: 'q-git.example.invalid' }], registries: ['q-registry.example.invalid'] },
    },
  };
}

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

interface Case {
  name: string;
  command?: string;
  args: string[];
  env?: Record<string, string>;
  input?: string;
  /** Who answers: the native client itself, or the Node CLI it hands over to. */
  answeredBy: 'native' | 'node';
  code: number;
  /** What stdout must show besides being identical (e.g. that stdin reached the Node CLI). */
  stdout?: RegExp;
}

const KUBE_V1 = '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
/** As kubectl's Go encoder writes it with provideClusterInfo (\u003c escapes), pretty-printed. */
const KUBE_GO_STYLE = JSON.stringify(
  { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { cluster: { server: 'https://k8s.example.invalid:6443', 'certificate-authority-data': 'TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==', config: null, note: '<x> & y' }, interactive: false } },
  null,
  2,
).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

const GIT_REQUEST = 'capability[]=authtype\nprotocol=https\nhost=git.example.invalid\n\n';
const GIT_ANSWER = /^username=oauth2\npassword=[\w.-]+\npassword_expiry_utc=\d+\n$/;

/** docker-credential.ts get(): JSON.stringify's bytes, with the profile p's registryUsername and a JWT. */
const DOCKER_ANSWER = (serverUrl: string) =>
  new RegExp(`^${JSON.stringify({ ServerURL: serverUrl, Username: 'robot"x\\y' }).slice(0, -1).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')},"Secret":"[\\w.-]+"\\}\\n$`);

const CASES: Case[] = [
  { name: 'plain', args: ['token'], answeredBy: 'native', code: 0 },
  { name: '--json', args: ['token', '--json'], answeredBy: 'native', code: 0 },
  { name: '--header', args: ['token', '--header'], answeredBy: 'native', code: 0 },
  { name: '--env', args: ['token', '--env'], answeredBy: 'native', code: 0 },
  { name: '--profile P', args: ['token', '--profile', 'p'], answeredBy: 'native', code: 0 },
  { name: '-p P --json', args: ['token', '-p', 'p', '--json'], answeredBy: 'native', code: 0 },
  { name: '--profile=P', args: ['token', '--profile=p', '--header'], answeredBy: 'native', code: 0 },
  { name: 'AUTHCTL_PROFILE', args: ['token'], env: { AUTHCTL_PROFILE: 'p' }, answeredBy: 'native', code: 0 },
  { name: '--scope (split on spaces and commas)', args: ['token', '--scope', 'openid api:read', '-s', 'openid,', '--json'], answeredBy: 'native', code: 0 },
  { name: '--min-valid', args: ['token', '--min-valid', '30', '--env'], answeredBy: 'native', code: 0 },
  { name: 'same format twice', args: ['token', '--json', '--json'], answeredBy: 'native', code: 0 },
  { name: 'pre-issued plain', args: ['token'], env: { AUTHCTL_TOKEN: 'pre.issued-token' }, answeredBy: 'native', code: 0 },
  { name: 'pre-issued --json', args: ['token', '--json'], env: { AUTHCTL_TOKEN: 'pre"issued\\x' }, answeredBy: 'native', code: 0 },
  { name: 'pre-issued --header', args: ['token', '--header'], env: { AUTHCTL_TOKEN: 'pre.issued' }, answeredBy: 'native', code: 0 },
  { name: "pre-issued --env, quoted", args: ['token', '--env'], env: { AUTHCTL_TOKEN: "it's $(x) ok" }, answeredBy: 'native', code: 0 },
  { name: 'pre-issued, not ASCII', args: ['token'], env: { AUTHCTL_TOKEN: 'tök\u00e9n' }, answeredBy: 'node', code: 0 },
  // Exit-code paths: each handed over, each answered by the Node CLI's own words.
  { name: 'login required (3)', args: ['token', '--profile', 'q'], answeredBy: 'node', code: 3 },
  { name: 'unknown profile (2)', args: ['token', '--profile', 'nosuch'], answeredBy: 'node', code: 2 },
  { name: 'two formats (2)', args: ['token', '--json', '--header'], answeredBy: 'node', code: 2 },
  { name: 'unknown flag (2)', args: ['token', '--bogus'], answeredBy: 'node', code: 2 },
  { name: 'a positional (2)', args: ['token', 'extra'], answeredBy: 'node', code: 2 },
  { name: 'a flag without its value (2)', args: ['token', '--profile'], answeredBy: 'node', code: 2 },
  { name: 'a value that looks like a flag (2)', args: ['token', '--profile', '--json'], answeredBy: 'node', code: 2 },
  { name: 'bad --min-valid (2)', args: ['token', '--min-valid', '5s'], answeredBy: 'node', code: 2 },
  { name: '--min-valid too large (2)', args: ['token', '--min-valid', '86401'], answeredBy: 'node', code: 2 },
  { name: 'a boolean with a value (2)', args: ['token', '--json=yes'], answeredBy: 'node', code: 2 },
  { name: 'no agent (6)', args: ['token'], env: { AUTHCTL_SOCK: '/nonexistent-authctl/agent.sock' }, answeredBy: 'node', code: 6 },
  { name: 'other commands', args: ['--version'], answeredBy: 'node', code: 0 },
  { name: 'unknown command (2)', args: ['tokn'], answeredBy: 'node', code: 2 },
  // kubectl's exec plugin: answered natively unless a config file could name `clusters`.
  { name: 'kube, no KUBERNETES_EXEC_INFO (v1beta1)', args: ['kube'], answeredBy: 'native', code: 0, stdout: /^\{"apiVersion":"client\.authentication\.k8s\.io\/v1beta1","kind":"ExecCredential","status":\{"token":"[\w.-]+","expirationTimestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}\}\n$/ },
  { name: 'kube v1 --profile', args: ['kube', '--profile', 'p'], env: { KUBERNETES_EXEC_INFO: KUBE_V1 }, answeredBy: 'native', code: 0, stdout: /"apiVersion":"client\.authentication\.k8s\.io\/v1"/ },
  { name: 'kube, Go-style JSON with escapes, whitespace and cluster info', args: ['kube', '-p', 'p'], env: { KUBERNETES_EXEC_INFO: KUBE_GO_STYLE }, answeredBy: 'native', code: 0 },
  {
    // The profile allows no other audience: the agent's refusal shows the audience reached it.
    name: "kube, the cluster's audience reaches the agent (refused: 2)",
    args: ['kube', '-p', 'p'],
    env: { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false, cluster: { server: 'https://k8s.example.invalid', config: { audience: TEST_RESOURCE } } } }) },
    answeredBy: 'node',
    code: 2,
  },
  { name: 'kube, AUTHCTL_PROFILE and a pre-issued token', args: ['kube'], env: { AUTHCTL_PROFILE: 'p', AUTHCTL_TOKEN: 'pre"issued', KUBERNETES_EXEC_INFO: KUBE_V1 }, answeredBy: 'native', code: 0 },
  { name: 'kube, exec info not JSON (2)', args: ['kube'], env: { KUBERNETES_EXEC_INFO: '{"apiVersion":' }, answeredBy: 'node', code: 2 },
  { name: 'kube, an apiVersion we do not speak (2)', args: ['kube'], env: { KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v2","spec":{}}' }, answeredBy: 'node', code: 2 },
  { name: 'kube, exec info with a duplicate key', args: ['kube'], env: { KUBERNETES_EXEC_INFO: '{"apiVersion":"x","apiVersion":"client.authentication.k8s.io/v1"}' }, answeredBy: 'node', code: 0 },
  { name: 'kube, login required (3)', args: ['kube', '--profile', 'q'], env: { KUBERNETES_EXEC_INFO: KUBE_V1 }, answeredBy: 'node', code: 3 },
  { name: 'kube, unknown flag (2)', args: ['kube', '--context', 'x'], answeredBy: 'node', code: 2 },
  // git's helper as `authctl setup-git` configures it (--profile): answered natively.
  { name: 'git-credential-authctl --profile P get', command: 'git-credential-authctl', args: ['--profile', 'p', 'get'], input: GIT_REQUEST, answeredBy: 'native', code: 0, stdout: GIT_ANSWER },
  { name: 'authctl git-credential --profile P get', args: ['git-credential', '--profile', 'p', 'get'], input: GIT_REQUEST, answeredBy: 'native', code: 0, stdout: GIT_ANSWER },
  { name: 'git: the username git sent, CRLF lines, no blank line', args: ['git-credential', '-p', 'p', 'get'], input: 'protocol=https\r\nhost=git.example.invalid\r\nusername=bob\r\npath=x/y.git', answeredBy: 'native', code: 0, stdout: /^username=bob\npassword=/ },
  { name: 'git: a pre-issued token', args: ['git-credential', '--profile=p', 'get'], env: { AUTHCTL_TOKEN: 'pre.issued' }, input: GIT_REQUEST, answeredBy: 'native', code: 0, stdout: /^username=oauth2\npassword=pre\.issued\n$/ },
  // Handed over after reading stdin: the Node CLI must see the very same input (else it would
  // answer for an empty request, `undefined://undefined`).
  { name: 'git: login required, stdin replayed', args: ['git-credential', '--profile', 'q', 'get'], input: GIT_REQUEST, answeredBy: 'node', code: 0 },
  { name: 'git: loopback http, stdin replayed', args: ['git-credential', '--profile', 'p', 'get'], input: 'protocol=http\nhost=127.0.0.1:8080\n\n', answeredBy: 'node', code: 0, stdout: GIT_ANSWER },
  { name: 'git: url attribute, stdin replayed', args: ['git-credential', '--profile', 'p', 'get'], input: 'url=https://git.example.invalid/a/b.git\n\n', answeredBy: 'node', code: 0, stdout: GIT_ANSWER },
  { name: 'git: a CR inside a value (2)', args: ['git-credential', '--profile', 'p', 'get'], input: 'protocol=https\nhost=git.example.invalid\rother\n\n', answeredBy: 'node', code: 2 },
  { name: 'git: input beyond the bound, replayed whole (1)', args: ['git-credential', '--profile', 'p', 'get'], input: `protocol=https\nhost=${'h'.repeat(200_000)}`, answeredBy: 'node', code: 1 },
  { name: 'git: store', args: ['git-credential', '--profile', 'p', 'store'], input: GIT_REQUEST, answeredBy: 'node', code: 0 },
  // git's helper without --profile: the agent applies the match rules (shared/git-match.ts).
  { name: 'git-credential-authctl get (match rules, by the agent)', command: 'git-credential-authctl', args: ['get'], input: 'protocol=https\nhost=git.example.invalid\n\n', answeredBy: 'native', code: 0, stdout: GIT_ANSWER },
  { name: 'git without --profile: a path and the username git sent', args: ['git-credential', 'get'], input: 'protocol=https\nhost=GIT.example.invalid:443\npath=team/"repo\\x.git\nusername=bob\n\n', answeredBy: 'native', code: 0, stdout: /^username=bob\npassword=/ },
  { name: 'git without --profile: no rule fits, stdin replayed', command: 'git-credential-authctl', args: ['get'], input: 'protocol=https\nhost=other.example.invalid\n\n', answeredBy: 'node', code: 0, stdout: /^$/ },
  { name: 'git without --profile: login required, stdin replayed', command: 'git-credential-authctl', args: ['get'], input: 'protocol=https\nhost=q-git.example.invalid\n\n', answeredBy: 'node', code: 0, stdout: /^$/ },
  { name: 'git without --profile: no host (2)', command: 'git-credential-authctl', args: ['get'], input: 'protocol=https\n\n', answeredBy: 'node', code: 2 },
  { name: 'git without --profile: a pre-issued token', command: 'git-credential-authctl', args: ['get'], env: { AUTHCTL_TOKEN: 'pre.issued' }, input: GIT_REQUEST, answeredBy: 'node', code: 0, stdout: /^username=oauth2\npassword=pre\.issued\n$/ },
  // docker's helper: the agent picks the profile from the registry (shared/registry.ts), the native client prints.
  { name: 'docker-credential-authctl get', command: 'docker-credential-authctl', args: ['get'], input: 'registry.example.invalid', answeredBy: 'native', code: 0, stdout: DOCKER_ANSWER('registry.example.invalid') },
  { name: 'authctl docker-credential get, a URL with a path, trailing newline', args: ['docker-credential', 'get'], input: 'https://Registry.Example.invalid/v2/\n', answeredBy: 'native', code: 0, stdout: DOCKER_ANSWER('https://Registry.Example.invalid/v2/') },
  { name: 'docker: quotes and backslashes escaped as JSON.stringify does', command: 'docker-credential-authctl', args: ['get'], input: ' \tregistry.example.invalid/a"b\\c \r\n', answeredBy: 'native', code: 0, stdout: DOCKER_ANSWER('registry.example.invalid/a"b\\c') },
  { name: 'docker: plain http to this machine', command: 'docker-credential-authctl', args: ['get'], input: 'http://127.0.0.1:5000', answeredBy: 'native', code: 0 },
  { name: 'docker: unknown registry, stdin replayed (1)', command: 'docker-credential-authctl', args: ['get'], input: 'other.example.invalid', answeredBy: 'node', code: 1, stdout: /^credentials not found in native keychain\n$/ },
  { name: 'docker: plain http to another host, stdin replayed (1)', command: 'docker-credential-authctl', args: ['get'], input: 'http://registry.example.invalid', answeredBy: 'node', code: 1, stdout: /^credentials not found in native keychain\n$/ },
  { name: 'docker: nothing on stdin (1)', command: 'docker-credential-authctl', args: ['get'], input: '', answeredBy: 'node', code: 1 },
  { name: 'docker: login required (3)', command: 'docker-credential-authctl', args: ['get'], input: 'q-registry.example.invalid', answeredBy: 'node', code: 3, stdout: /login/ },
  { name: 'docker: no agent (6)', command: 'docker-credential-authctl', args: ['get'], input: 'registry.example.invalid', env: { AUTHCTL_SOCK: '/nonexistent-authctl/agent.sock' }, answeredBy: 'node', code: 6 },
  { name: 'docker: a pre-issued token', command: 'docker-credential-authctl', args: ['get'], input: 'registry.example.invalid', env: { AUTHCTL_TOKEN: 'pre.issued' }, answeredBy: 'node', code: 0, stdout: /"Secret":"pre\.issued"/ },
  { name: 'docker: not ASCII (JavaScript trims U+00A0)', command: 'docker-credential-authctl', args: ['get'], input: '\u00a0registry.example.invalid\u00a0', answeredBy: 'node', code: 0, stdout: DOCKER_ANSWER('registry.example.invalid') },
  { name: 'docker: list', command: 'docker-credential-authctl', args: ['list'], answeredBy: 'node', code: 0, stdout: /"127\.0\.0\.1:5000":"robot/ },
  { name: 'docker: get with an extra argument (2)', args: ['docker-credential', 'get', 'x'], input: 'registry.example.invalid', answeredBy: 'node', code: 2 },
];

describe('native client: the same bytes and exit codes as the Node CLI', () => {
  it.each(CASES)('$name', async (c) => {
    const command = c.command ?? 'authctl';
    const env = { ...home.env, ...c.env };
    const native = await runNative(command, c.args, env, { input: c.input });
    const node = await runNode(command, c.args, env, { input: c.input });
    expect(native.timedOut || node.timedOut).toBe(false);
    expect({ code: native.code, stderr: native.stderr }).toEqual({ code: node.code, stderr: node.stderr });
    expect(native.stdoutBytes.equals(node.stdoutBytes), `stdout differs:\nnative: ${native.stdout}\nnode:   ${node.stdout}`).toBe(true);
    expect(native.code).toBe(c.code);
    if (c.code === 0 && c.answeredBy === 'native') expect(native.stdout.length).toBeGreaterThan(1);
    if (c.stdout) expect(native.stdout).toMatch(c.stdout);
    const traced = await runNative(command, c.args, { ...env, AUTHCTL_NATIVE_TRACE: '1' }, { input: c.input });
    expect(traced.stderr).toMatch(c.answeredBy === 'native' ? /^authctl-native: answered$/m : /^authctl-native: node \(/m);
  });

  it('git: after a hand-over, the output ends when Node is done even while stdin stays open', async () => {
    // stdin a FIFO this test keeps open: the replaying child blocks reading it, and must not
    // hold the helper's stdout open meanwhile (git reads the helper's output to its end).
    const fifo = join(home.dir, 'git-stdin');
    execFileSync('mkfifo', [fifo]);
    const writer = openSync(fifo, 'r+'); // opens at once; the child gets a read-only end, so closing this ends its input
    const fd = openSync(fifo, 'r');
    writeSync(writer, GIT_REQUEST);
    const child = spawn(join(NATIVE_DIR, 'authctl'), ['git-credential', '--profile', 'q', 'get'], { env: home.env, stdio: [fd, 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const code = await new Promise<number | string | null>((resolve) => {
      const guard = setTimeout(() => resolve('stdout still open after 10 s'), 10_000);
      child.on('close', (c) => (clearTimeout(guard), resolve(c)));
    });
    closeSync(fd);
    closeSync(writer); // the replaying child sees the end of its input and exits
    expect(code).toBe(0);
    expect(stderr).toMatch(/^authctl: .*login/m);
  });

  it('git: a config that could set gitUsername or gitAuthType is left to the Node CLI', async () => {
    const system = join(home.dir, 'system-with-git-username.json');
    writeFileSync(system, JSON.stringify({ profiles: { p: { gitUsername: 'x-token' } } }));
    const env = { ...home.env, AUTHCTL_SYSTEM_CONFIG: system, AUTHCTL_NATIVE_TRACE: '1' };
    const native = await runNative('authctl', ['git-credential', '--profile', 'p', 'get'], env, { input: GIT_REQUEST });
    const node = await runNode('authctl', ['git-credential', '--profile', 'p', 'get'], env, { input: GIT_REQUEST });
    expect(native.stderr).toBe(`authctl-native: node (git settings in the config)\n${node.stderr}`);
    expect({ code: native.code, stdout: native.stdout }).toEqual({ code: node.code, stdout: node.stdout });
  });

  it("git without --profile: the profile's gitUsername comes with the agent's answer; Bearer is the Node CLI's", async () => {
    const env = { ...home.env, AUTHCTL_NATIVE_TRACE: '1' };
    try {
      home.writeConfig(config({ gitUsername: 'x-token' }));
      const native = await runNative('git-credential-authctl', ['get'], env, { input: GIT_REQUEST });
      const node = await runNode('git-credential-authctl', ['get'], env, { input: GIT_REQUEST });
      expect(native.stderr).toBe(`${node.stderr}authctl-native: answered\n`);
      expect({ code: native.code, stdout: native.stdout }).toEqual({ code: node.code, stdout: node.stdout });
      expect(native.stdout).toMatch(/^username=x-token\npassword=[\w.-]+\npassword_expiry_utc=\d+\n$/);

      home.writeConfig(config({ gitAuthType: 'bearer', gitUsername: 'y-token' }));
      const nativeBearer = await runNative('git-credential-authctl', ['get'], env, { input: GIT_REQUEST });
      const nodeBearer = await runNode('git-credential-authctl', ['get'], env, { input: GIT_REQUEST });
      expect(nativeBearer.stderr).toBe(`authctl-native: node (git auth type)\n${nodeBearer.stderr}`);
      expect({ code: nativeBearer.code, stdout: nativeBearer.stdout }).toEqual({ code: nodeBearer.code, stdout: nodeBearer.stdout });
      expect(nativeBearer.stdout).toMatch(/^capability\[\]=authtype\nauthtype=Bearer\ncredential=/);
    } finally {
      home.writeConfig(config());
    }
  });

  it('kube: a config that could name clusters is left to the Node CLI, which applies them', async () => {
    const system = join(home.dir, 'system-with-clusters.json');
    writeFileSync(system, JSON.stringify({ profiles: { p: { clusters: ['https://k8s.example.invalid'] } } }));
    const env = { ...home.env, AUTHCTL_SYSTEM_CONFIG: system, AUTHCTL_NATIVE_TRACE: '1', KUBERNETES_EXEC_INFO: KUBE_V1 };
    const native = await runNative('authctl', ['kube'], env);
    const node = await runNode('authctl', ['kube'], env);
    expect(native.stderr).toBe(`authctl-native: node (kube clusters)\n${node.stderr}`);
    expect({ code: native.code, stdout: native.stdout }).toEqual({ code: node.code, stdout: node.stdout });
  });

  it('a socket directory that is not private is refused in the Node CLI\'s words (6)', async () => {
    const dir = join(home.dir, 'open-run');
    mkdirSync(dir, { mode: 0o755 });
    const env = { ...home.env, AUTHCTL_SOCK: join(dir, 'agent.sock') };
    const native = await runNative('authctl', ['token'], env);
    const node = await runNode('authctl', ['token'], env);
    expect(native.code).toBe(6);
    expect(native.stderr).toMatch(/refusing to talk to the agent socket|forwarded agent at .* does not answer/);
    expect({ code: native.code, stdout: native.stdout, stderr: native.stderr }).toEqual({ code: node.code, stdout: node.stdout, stderr: node.stderr });
  });

  it('the cached answer is the agent\'s token, the same one the Node client gets', async () => {
    const native = await runNative('authctl', ['token', '--json'], home.env);
    const body = JSON.parse(native.stdout) as { accessToken: string; profile: string; expiresAt: number };
    expect(body.profile).toBe('p');
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect((await runNode('authctl', ['token'], home.env)).stdout).toBe(`${body.accessToken}\n`);
  });
  it('POST /v1/token with `registry`: the agent resolves the profile as docker-credential.ts does', async () => {
    const matched = await post({ registry: 'https://REGISTRY.example.invalid/v2/' });
    expect(matched.status).toBe(200);
    expect(matched.body).toMatchObject({ profile: 'p', registryUsername: 'robot"x\\y', tokenType: 'Bearer' });
    expect(await post({ registry: 'other.example.invalid' })).toMatchObject({ status: 404, body: { error: 'no_matching_profile' } });
    expect(await post({ registry: 'http://registry.example.invalid' })).toMatchObject({ status: 404, body: { error: 'no_matching_profile' } });
    expect(await post({ registry: 5 })).toMatchObject({ status: 400, body: { error: 'bad_request', message: '"registry" must be a string' } });
    expect(await post({ registry: 'registry.example.invalid', profile: 'q' })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    // Without `registry` the answer carries no registryUsername: nothing changes for other callers.
    expect((await post({ profile: 'p' })).body).not.toHaveProperty('registryUsername');
  });

  it('POST /v1/token with `gitRequest`: the agent applies the match rules as git-credential.ts does', async () => {
    const matched = await post({ gitRequest: { protocol: 'https', host: 'Git.Example.invalid', path: 'a/b.git' } });
    expect(matched.status).toBe(200);
    expect(matched.body).toMatchObject({ profile: 'p', gitAuthType: 'basic' });
    expect(matched.body).not.toHaveProperty('gitUsername');
    expect(await post({ gitRequest: { protocol: 'https', host: 'other.example.invalid' } })).toMatchObject({ status: 404, body: { error: 'no_matching_profile' } });
    expect(await post({ gitRequest: { protocol: 'http', host: 'git.example.invalid' } })).toMatchObject({ status: 404, body: { error: 'no_matching_profile' } });
    expect(await post({ gitRequest: { protocol: 'https' } })).toMatchObject({ status: 400, body: { error: 'bad_request', message: '"gitRequest" must be an object { protocol, host, path? } of strings' } });
    expect(await post({ gitRequest: { protocol: 'https', host: 'git.example.invalid', port: 1 } })).toMatchObject({ status: 400 });
    expect(await post({ gitRequest: { protocol: 'https', host: 'git.example.invalid' }, registry: 'registry.example.invalid' })).toMatchObject({ status: 400 });
  });
});

/** One request on the real agent's socket, as any client in any language would send it. */
function post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: home.socket, method: 'POST', path: '/v1/token', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
