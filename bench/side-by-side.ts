/**
 * The side-by-side table of issue #12, measured in one run: the exec path with a cached token,
 * the socket API, and resident memory, for authctl against oidc-agent, git's credential-cache,
 * `node -e 0` and the bare Node floors. Ratios come from this run only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { keepAliveClient, type KeepAliveClient } from './socket-clients.js';
import { median, ms, nowNs, percentile, us, type Row } from './stats.js';
import type { BareProcess, CredentialCachePeer, OidcAgentPeer, Peer } from './peers.js';
import { GIT_HOST, OIDC_ACCOUNT, REGISTRY_HOST } from './peers.js';

const SPAWN_WARMUP = 5;
const SPAWN_RUNS = 40;
const SOCKET_ROUNDS = 8;
const SOCKET_PER_ROUND = 250;
const SOCKET_WARMUP = 200;

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));
const nativeBuild = (name: string) => fileURLToPath(new URL(`../../native/client/build/${name}`, import.meta.url));
/**
 * What the installed command runs: an npm install copies the native client (built at
 * native/client/build/) over bin/<name>; a checkout keeps the Node launchers there, so the
 * built client is measured directly, else the Node entry by its #! line.
 */
export function userFacing(name: string): string {
  return existsSync(nativeBuild(name)) ? nativeBuild(name) : bin(`${name}.js`);
}

export interface Contenders {
  agentSocket: string;
  agentPid: number;
  env: Record<string, string>;
  oidc: Peer<OidcAgentPeer>;
  cache: Peer<CredentialCachePeer>;
  bareHttp: BareProcess;
  bareListener: BareProcess;
}

/** Everything the table shows, filled section by section. */
export interface SideBySide {
  exec: Record<string, number[]>;
  socket: Record<string, number[]>;
  rssMiB: Record<string, number>;
  notes: string[];
}

export function emptySideBySide(): SideBySide {
  return { exec: {}, socket: {}, rssMiB: {}, notes: [] };
}

interface ExecVariant {
  key: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  input?: string;
  /** What stdout must look like, so a failure is never timed as a fast answer. */
  expect?: RegExp;
}

const JWT_LINE = /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/;
const GIT_ANSWER = /^(?:.*\n)*password=\S+\n/;
const DOCKER_ANSWER = /^\{"ServerURL":.*"Secret":"eyJ[\w-]+\.[\w-]+\.[\w-]+"\}\n$/;

/** Runs a process to its exit, timed from spawn to close. */
function timedExec(v: ExecVariant): Promise<{ status: number | null; stdout: string; stderr: string; ns: number }> {
  return new Promise((resolve, reject) => {
    const start = nowNs();
    const child = spawn(v.command, v.args, { env: v.env, stdio: [v.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, ns: nowNs() - start }));
    if (v.input !== undefined) child.stdin!.end(v.input);
  });
}

export async function measureExecPaths(c: Contenders, out: SideBySide): Promise<void> {
  const gitInput = `protocol=https\nhost=${GIT_HOST}\n\n`;
  const variants: ExecVariant[] = [
    { key: 'authctl token', command: userFacing('authctl'), args: ['token'], env: c.env, expect: JWT_LINE },
    { key: 'authctl token (Node)', command: process.execPath, args: [bin('authctl.js'), 'token'], env: c.env, expect: JWT_LINE },
    // As setup-git writes the helper: with --profile (the native client answers that form).
    { key: 'authctl git-credential get', command: userFacing('git-credential-authctl'), args: ['--profile', 'main', 'get'], env: c.env, input: gitInput, expect: GIT_ANSWER },
    { key: 'authctl git-credential get (Node)', command: process.execPath, args: [bin('authctl.js'), 'git-credential', '--profile', 'main', 'get'], env: c.env, input: gitInput, expect: GIT_ANSWER },
    // docker's helper (the agent resolves the registry for the native client).
    { key: 'authctl docker-credential get', command: userFacing('docker-credential-authctl'), args: ['get'], env: c.env, input: REGISTRY_HOST, expect: DOCKER_ANSWER },
    { key: 'authctl docker-credential get (Node)', command: process.execPath, args: [bin('authctl.js'), 'docker-credential', 'get'], env: c.env, input: REGISTRY_HOST, expect: DOCKER_ANSWER },
    { key: 'node -e 0', command: process.execPath, args: ['-e', '0'], env: c.env },
    { key: '/bin/true', command: '/bin/true', args: [], env: c.env },
  ];
  if (c.oidc.ok) variants.push({ key: 'oidc-token', command: 'oidc-token', args: [OIDC_ACCOUNT], env: c.oidc.value.env, expect: JWT_LINE });
  if (c.cache.ok) {
    const sock = `--socket=${c.cache.value.socket}`;
    variants.push({ key: 'git credential-cache get', command: 'git', args: ['credential-cache', sock, 'get'], env: c.cache.value.env, input: gitInput, expect: GIT_ANSWER });
  }
  for (const v of variants) out.exec[v.key] = [];
  for (let round = 0; round < SPAWN_WARMUP + SPAWN_RUNS; round += 1) {
    // Rotate the order every round, so drift and ordering effects fall on every variant alike.
    for (let i = 0; i < variants.length; i += 1) {
      const v = variants[(round + i) % variants.length]!;
      const r = await timedExec(v);
      if (r.status !== 0 || (v.expect && !v.expect.test(r.stdout))) throw new Error(`${v.key} failed (exit ${r.status}): ${(r.stderr.trim() || r.stdout.trim()).slice(0, 300)}`);
      if (round >= SPAWN_WARMUP) out.exec[v.key]!.push(r.ns);
    }
  }
}

/** One request on a fresh connection, read to the peer's close: the raw round trip of a one-shot client. */
function rawRoundTrip(socketPath: string, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = nowNs();
    const sock = connect(socketPath);
    let bytes = 0;
    sock.once('connect', () => sock.write(request));
    sock.on('data', (c: Buffer) => (bytes += c.length));
    sock.once('error', reject);
    sock.once('close', () => (bytes > 0 ? resolve(nowNs() - start) : reject(new Error(`${socketPath}: closed without an answer`))));
  });
}

const HTTP_ONE_SHOT = 'POST /v1/token HTTP/1.1\r\nHost: authctl\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
/** oidc-agent's IPC: one JSON request per connection, one JSON answer, then it closes. */
const OIDC_REQUEST = JSON.stringify({ request: 'access_token', account: OIDC_ACCOUNT, min_valid_period: 60 });

async function keepAliveOnce(client: KeepAliveClient): Promise<number> {
  const start = nowNs();
  const res = await client.call('POST', '/v1/token', {});
  const took = nowNs() - start;
  if (res.status !== 200) throw new Error(`keep-alive token request: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return took;
}

export async function measureSocketPaths(c: Contenders, out: SideBySide): Promise<void> {
  const agentKeepAlive = keepAliveClient(c.agentSocket);
  const bareKeepAlive = keepAliveClient(c.bareHttp.socket);
  try {
    const targets: Array<[string, () => Promise<number>]> = [
      ['authctl keep-alive', () => keepAliveOnce(agentKeepAlive)],
      ['bare node:http keep-alive', () => keepAliveOnce(bareKeepAlive)],
      ['authctl connection per request', () => rawRoundTrip(c.agentSocket, HTTP_ONE_SHOT)],
      ['bare node:http connection per request', () => rawRoundTrip(c.bareHttp.socket, HTTP_ONE_SHOT)],
    ];
    if (c.oidc.ok) {
      const sock = c.oidc.value.socket;
      targets.push(['oidc-agent raw round trip', () => rawRoundTrip(sock, OIDC_REQUEST)]);
    }
    for (const [, run] of targets) for (let i = 0; i < SOCKET_WARMUP; i += 1) await run();
    for (const [key] of targets) out.socket[key] = [];
    // Blocks in turn, so drift on a shared machine falls on every target alike.
    for (let round = 0; round < SOCKET_ROUNDS; round += 1) {
      for (const [key, run] of targets) for (let i = 0; i < SOCKET_PER_ROUND; i += 1) out.socket[key]!.push(await run());
    }
  } finally {
    agentKeepAlive.close();
    bareKeepAlive.close();
  }
}

export function measureMemory(c: Contenders, out: SideBySide): void {
  out.rssMiB['authctl agent'] = rssMiB(c.agentPid);
  if (c.oidc.ok) out.rssMiB['oidc-agent'] = rssMiB(c.oidc.value.pid);
  out.rssMiB['bare node:http server'] = rssMiB(c.bareHttp.pid);
  out.rssMiB['bare Node listener'] = rssMiB(c.bareListener.pid);
}

export function rssMiB(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1]) / 1024;
}

// ---------------------------------------------------------------------------------------------
// The table and the goals.

const med = (xs?: number[]) => (xs?.length ? median(xs) : Number.NaN);
const cellMs = (xs?: number[]) => (xs?.length ? ms(median(xs)) : '–');
const cellUs = (xs?: number[]) => (xs?.length ? us(median(xs)) : '–');
const cellMiB = (v?: number) => (v === undefined ? '–' : `${v.toFixed(1)} MiB`);

export function sideBySideTable(s: SideBySide, oidcVersion: string): string {
  const e = s.exec;
  const k = s.socket;
  const m = s.rssMiB;
  const rows = [
    `| median, one run | authctl (\`${userFacing('authctl').split('/').pop()}\`) | authctl (Node) | ${oidcVersion} | git credential-cache | \`node -e 0\` | floor |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| exec path, cached token | ${cellMs(e['authctl token'])} | ${cellMs(e['authctl token (Node)'])} | ${cellMs(e['oidc-token'])} (\`oidc-token\`) | – | ${cellMs(e['node -e 0'])} | ${cellMs(e['/bin/true'])} (\`/bin/true\`) |`,
    `| exec path, git credential get | ${cellMs(e['authctl git-credential get'])} | ${cellMs(e['authctl git-credential get (Node)'])} | – | ${cellMs(e['git credential-cache get'])} | – | – |`,
    `| exec path, docker-credential get | ${cellMs(e['authctl docker-credential get'])} | ${cellMs(e['authctl docker-credential get (Node)'])} | – | – | – | – |`,
    `| socket API, keep-alive | ${cellUs(k['authctl keep-alive'])} | – | ${cellUs(k['oidc-agent raw round trip'])} (raw round trip; it closes after each answer) | – | – | ${cellUs(k['bare node:http keep-alive'])} (bare \`node:http\`) |`,
    `| socket API, connection per request | ${cellUs(k['authctl connection per request'])} | – | ${cellUs(k['oidc-agent raw round trip'])} | – | – | ${cellUs(k['bare node:http connection per request'])} (bare \`node:http\`) |`,
    `| agent resident memory (after login, a refresh and the bench) | ${cellMiB(m['authctl agent'])} | – | ${cellMiB(m['oidc-agent'])} | – | – | ${cellMiB(m['bare Node listener'])} (Node listening on a unix socket) |`,
  ];
  return rows.join('\n');
}

function ratioRow(name: string, num: number, den: number, limit: number, detail: string): Row {
  const r = num / den;
  if (!Number.isFinite(r)) return { name, measured: 'not measured', budget: `<= ${limit}x` };
  return { name, measured: `${r.toFixed(2)}x [${detail}]`, budget: `<= ${limit}x`, ok: r <= limit };
}

export function goalRows(s: SideBySide): Row[] {
  const e = s.exec;
  const k = s.socket;
  const m = s.rssMiB;
  const rows: Row[] = [
    ratioRow('goal 1: `authctl token` (cached) / `oidc-token`', med(e['authctl token']), med(e['oidc-token']), 1, `${cellMs(e['authctl token'])} vs ${cellMs(e['oidc-token'])}, n=${SPAWN_RUNS}`),
    ratioRow('goal 1: `authctl git-credential get` / `git credential-cache get`', med(e['authctl git-credential get']), med(e['git credential-cache get']), 1, `${cellMs(e['authctl git-credential get'])} vs ${cellMs(e['git credential-cache get'])}`),
    ratioRow('goal 2: socket keep-alive / oidc-agent raw round trip', med(k['authctl keep-alive']), med(k['oidc-agent raw round trip']), 1, `${cellUs(k['authctl keep-alive'])} vs ${cellUs(k['oidc-agent raw round trip'])}, p99 ${us(percentile(k['authctl keep-alive'] ?? [], 99))}`),
    ratioRow('goal 2: socket keep-alive / bare node:http keep-alive', med(k['authctl keep-alive']), med(k['bare node:http keep-alive']), 1.3, `${cellUs(k['authctl keep-alive'])} vs ${cellUs(k['bare node:http keep-alive'])}`),
    ratioRow('  connection per request / bare node:http', med(k['authctl connection per request']), med(k['bare node:http connection per request']), 1.3, `${cellUs(k['authctl connection per request'])} vs ${cellUs(k['bare node:http connection per request'])}`),
    ratioRow('goal 3: agent resident memory / bare Node listener', m['authctl agent'] ?? Number.NaN, m['bare Node listener'] ?? Number.NaN, 1.25, `${cellMiB(m['authctl agent'])} vs ${cellMiB(m['bare Node listener'])}`),
    ratioRow('  reference: `node -e 0` / `/bin/true` (the start-up of any Node client)', med(e['node -e 0']), med(e['/bin/true']), Number.POSITIVE_INFINITY, `${cellMs(e['node -e 0'])} vs ${cellMs(e['/bin/true'])}`),
  ];
  rows.at(-1)!.budget = 'no budget';
  delete rows.at(-1)!.ok;
  return rows;
}
