/**
 * Fuzzes the native client's HTTP and JSON parsing (native/client/parse.c) through the real
 * binary, with a fixed seed and a bounded number of cases: a fake agent on a private unix
 * socket answers each `authctl token` with a valid answer, a mutated one (truncated, bytes
 * flipped, NULs, huge or duplicate headers, chunked, wrong lengths, non-canonical or invalid
 * JSON, deep nesting, too large) or nothing at all. The client must never crash or hang, and
 * either hand over to Node (here a stub that says HANDOFF) having printed nothing, or print
 * exactly what the Node client would print for that answer. It tests the C parser, not our
 * agent, so the server is a fake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatToken } from '../../client/commands/token/token.js';
import { execCredential, parseExecInfo } from '../../client/commands/kube/exec-info.js';
import { formatCredential, readCredential } from '../../client/commands/git-credential/protocol.js';
import { answer } from '../../client/commands/git-credential/git-credential.js';
import { transportAllowsToken } from '../../client/commands/git-credential/match.js';
import { Readable } from 'node:stream';
import type { TokenResponse } from '../../shared/api.js';
import { terminalSafe } from '../../shared/terminal-text.js';
import { nativeBuilt, runNative } from '../fixtures/native-client.js';

const SEED = 0x5eed1234;
const CASES = 400;
const FORMATS = [['token'], ['token', '--json'], ['token', '--header'], ['token', '--env'], ['kube']] as const;
const FORMAT_NAMES = ['plain', 'json', 'header', 'env', 'kube'] as const;

/** mulberry32: small, seeded, the same sequence on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Answer = { bytes: Buffer; silent?: boolean; mustAnswer?: boolean };

/**
 * No hang and no crash; true when the client handed over to the Node CLI (the stub exits 99
 * with "HANDOFF") having printed nothing of its own.
 */
function handedOver(res: Awaited<ReturnType<typeof runNative>>, where: string): boolean {
  expect(res.timedOut, where).toBe(false);
  expect(res.signal, where).toBe(null);
  if (res.code !== 99) return false;
  expect({ stdout: res.stdout, stderr: res.stderr }, where).toEqual({ stdout: '', stderr: 'HANDOFF\n' });
  return true;
}

function http(body: string | Buffer, head = ''): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${b.length}\r\ncache-control: no-store${head}\r\n\r\n`), b]);
}

function generate(r: () => number): Answer[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  // Whole code points: a lone surrogate is JSON.stringify's \udxxx, which the client leaves to Node.
  const randomText = (n: number, alphabet: string) => {
    const chars = Array.from(alphabet);
    return Array.from({ length: n }, () => chars[int(chars.length)]).join('');
  };
  const token = () =>
    pick([
      () => `${randomText(20, 'abcXYZ019-_')}.${randomText(40, 'abcXYZ019-_')}.${randomText(30, 'abcXYZ019-_')}`,
      () => randomText(1 + int(30), "ab'\" $\\\u00e9\u2028\u0001\u001b\u007f\u0085\u{1f600}"),
      () => '',
    ])();
  const body = (): Record<string, unknown> => {
    const t: Record<string, unknown> = { accessToken: token(), tokenType: pick(['Bearer', 'DPoP', 'bearer']), expiresAt: 1700000000 + int(1e6), scopes: ['openid', 'api:read'].slice(0, int(3)), profile: 'fz' };
    if (r() < 0.3) t.warning = randomText(1 + int(40), 'warn \n\t\u001b[31m\u0000\u009b\u00e9"\\');
    if (r() < 0.1) t.extra = { nested: [1, true, null, 'x'] };
    return t;
  };
  const valid = () => http(JSON.stringify(body()));
  const mutations: Array<() => Answer> = [
    () => ({ bytes: valid(), mustAnswer: true }),
    () => {
      const v = valid();
      return { bytes: v.subarray(0, int(v.length)) };
    },
    () => {
      const v = Buffer.from(valid());
      for (let i = 0, n = 1 + int(4); i < n; i++) v[int(v.length)] = int(256);
      return { bytes: v };
    },
    () => {
      const v = valid();
      const at = int(v.length);
      return { bytes: Buffer.concat([v.subarray(0, at), Buffer.from([0]), v.subarray(at)]) };
    },
    () => ({ bytes: http(JSON.stringify(body()), `\r\nx-huge: ${'a'.repeat(4000 + int(20000))}`) }),
    () => ({ bytes: http(JSON.stringify(body()), '\r\ncontent-length: 2') }),
    () => {
      const text = JSON.stringify(body());
      return { bytes: Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`) };
    },
    () => {
      const text = JSON.stringify(body());
      const declared = text.length + pick([-5, -1, 1, 7, 1e6]);
      return { bytes: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${declared}\r\n\r\n${text}`) };
    },
    () => ({ bytes: http(pick(['', '{', 'null', '[]', '"x"', '{"accessToken":1}', '{"accessToken":"a",}', '{"accessToken":"a","accessToken":"b"}', '{"1":2,"accessToken":"a"}', '{"accessToken":"a\\/b"}', '{"accessToken":"\\u00e9"}', '{"accessToken":"\\ud800"}', '{"accessToken":"a","n":1.5}', '{"accessToken":"a","n":1e3}', '{"accessToken":"a","n":-0}', '{"accessToken":"a","n":12345678901234567}', '{ "accessToken":"a"}', '{"accessToken":"a"} ', '{"accessToken":"a","warning":7}', '{"accessToken":"\\u001B"}'])) }),
    () => ({ bytes: http(`{"accessToken":"a","deep":${'['.repeat(1 + int(40))}${']'.repeat(1 + int(40))}}`) }),
    () => ({ bytes: http(Buffer.from([0x7b, 0x22, 0x61, 0x63, 0x63, 0x65, 0x73, 0x73, 0x54, 0x6f, 0x6b, 0x65, 0x6e, 0x22, 0x3a, 0x22, pick([0xc0, 0xed, 0xf5, 0xff, 0x80]), 0xa0, 0x80, 0x22, 0x7d])) }),
    () => ({ bytes: Buffer.from(pick(['', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}', 'HTTP/1.1 2000 OK\r\n\r\n', 'garbage\r\n\r\n{}', 'HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 2\r\n\r\n{}'])) }),
    () => {
      const err = JSON.stringify({ error: pick(['login_required', 'otp_required', 'internal']), message: 'no' });
      return { bytes: Buffer.from(`HTTP/1.1 ${pick([401, 403, 500, 302, 204])} X\r\ncontent-length: ${err.length}\r\n\r\n${err}`) };
    },
    () => ({ bytes: http(JSON.stringify({ ...body(), pad: 'x'.repeat(70_000 + int(100_000)) })) }),
    () => ({ bytes: Buffer.from(randomText(int(300), 'HTTP/1.\r\n :{}"0123456789abc\u0000')) }),
  ];
  const out: Answer[] = [{ bytes: Buffer.alloc(0), silent: true }];
  for (let i = 0; i < CASES; i++) out.push(pick(mutations)());
  return out;
}

/** What the Node client prints for this answer (client/agent-client.ts parseResponse + token.ts), or undefined when it would not print a token. */
function nodeWouldPrint(raw: Buffer, format: (typeof FORMAT_NAMES)[number]): { stdout: string; stderr: string } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const status = Number(raw.subarray(0, raw.indexOf('\r\n')).toString('latin1').split(' ')[1]);
  if (!(status < 400)) return undefined;
  let t: TokenResponse;
  try {
    t = JSON.parse(raw.subarray(end + 4).toString('utf8'));
  } catch {
    return undefined;
  }
  const stdout = format === 'kube' ? execCredential('client.authentication.k8s.io/v1beta1', t.accessToken, t.expiresAt) : formatToken(t, format);
  return { stdout, stderr: t?.warning ? `authctl: warning: ${terminalSafe(t.warning)}\n` : '' };
}

let dir: string;
let server: Server;
let current: Answer = { bytes: Buffer.alloc(0) };
const open = new Set<Socket>();
let lastRequest = '';

beforeAll(async () => {
  if (!nativeBuilt()) throw new Error('native/client/build/authctl is missing: run npm run build (it needs a C compiler)');
  dir = mkdtempSync(join(tmpdir(), 'authctl-fuzz-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  writeFileSync(join(dir, 'node-stub'), '#!/bin/sh\necho HANDOFF >&2\nexit 99\n');
  chmodSync(join(dir, 'node-stub'), 0o755);
  server = createServer((sock) => {
    open.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => open.delete(sock));
    let req = '';
    const answer = current;
    sock.on('data', (d) => {
      req += d.toString('latin1');
      const head = req.indexOf('\r\n\r\n');
      if (head < 0 || answer.silent) return;
      // The whole body (the docker case checks what was sent), then the answer.
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(req.slice(0, head))?.[1] ?? 0);
      if (Buffer.byteLength(req.slice(head + 4), 'latin1') < length) return;
      lastRequest = req;
      sock.end(answer.bytes);
    });
  });
  await new Promise<void>((res) => server.listen(join(dir, 'run', 'agent.sock'), res));
});

afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise((res) => server?.close(res));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('native client parser fuzz (fixed seed)', () => {
  it(`${CASES} answers: no crash, no hang, nothing printed but the Node client's own output`, async () => {
    const answers = generate(rng(SEED));
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      AUTHCTL_SOCK: join(dir, 'run', 'agent.sock'),
      AUTHCTL_NATIVE_NODE: join(dir, 'node-stub'),
      AUTHCTL_NATIVE_TIMEOUT_MS: '400',
      AUTHCTL_NO_AUTOSTART: '1',
    };
    let answered = 0;
    for (const [i, answer] of answers.entries()) {
      current = answer;
      const f = i % FORMATS.length;
      const res = await runNative('authctl', [...FORMATS[f], '--profile', 'fz'], env, { timeoutMs: 10_000 });
      const where = `case ${i} (${FORMAT_NAMES[f]}): ${JSON.stringify(answer.bytes.subarray(0, 300).toString('latin1'))}`;
      if (handedOver(res, where)) {
        expect(answer.mustAnswer, where).not.toBe(true);
        continue;
      }
      expect(res.code, where).toBe(0);
      const expected = nodeWouldPrint(answer.bytes, FORMAT_NAMES[f]);
      expect(expected, where).toBeDefined();
      expect({ stdout: res.stdoutBytes.toString('latin1'), stderr: res.stderrBytes.toString('latin1') }, where).toEqual({
        stdout: Buffer.from(expected!.stdout).toString('latin1'),
        stderr: Buffer.from(expected!.stderr).toString('latin1'),
      });
      answered++;
    }
    // The oracle is not vacuous: every valid answer was answered natively.
    expect(answered).toBeGreaterThanOrEqual(answers.filter((a) => a.mustAnswer).length);
    expect(answered).toBeGreaterThan(10);
    expect(JSON.parse(lastRequest.slice(lastRequest.indexOf('\r\n\r\n') + 4))).toEqual({ profile: 'fz' });
  });

  it(`${CASES} KUBERNETES_EXEC_INFO values: answered only as parseExecInfo and execCredential would`, async () => {
    const r = rng(SEED ^ 0x6b756265);
    const int = (n: number) => Math.floor(r() * n);
    const base = [
      { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } },
      { apiVersion: 'client.authentication.k8s.io/v1beta1', spec: { cluster: { server: 'https://k.example.invalid', config: { audience: 'aud' } }, interactive: true } },
    ];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AUTHCTL_TOKEN: 'pre.issued', AUTHCTL_NATIVE_NODE: join(dir, 'node-stub') };
    let answered = 0;
    for (let i = 0; i < CASES; i++) {
      let text = JSON.stringify(base[i % 2], null, int(3));
      const m = int(6);
      if (m === 1) text = text.slice(0, int(text.length));
      else if (m === 2) text = text.replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
      else if (m === 3) {
        const at = int(text.length);
        text = text.slice(0, at) + String.fromCharCode(1 + int(127)) + text.slice(at + int(2)); // an environment value holds no NUL
      } else if (m === 4) text = text.replace('"apiVersion"', '"apiVersion":"x","apiVersion"');
      else if (m === 5) text = `${'['.repeat(int(30))}${text}`;
      const res = await runNative('authctl', ['kube'], { ...env, KUBERNETES_EXEC_INFO: text }, { timeoutMs: 10_000 });
      const where = `case ${i}: ${JSON.stringify(text)}`;
      if (handedOver(res, where)) continue;
      let expected: string | undefined;
      try {
        expected = execCredential(parseExecInfo(text).apiVersion, 'pre.issued', 0);
      } catch {
        expected = undefined;
      }
      expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }, where).toEqual({ code: 0, stdout: expected, stderr: '' });
      answered++;
    }
    expect(answered).toBeGreaterThan(CASES / 10);
  });

  it(`${CASES} git helper requests on stdin: answered only as protocol.ts would read them`, async () => {
    const r = rng(SEED ^ 0x67697421);
    const int = (n: number) => Math.floor(r() * n);
    const lines = ['capability[]=authtype', 'protocol=https', 'protocol=http', 'host=git.example.invalid', 'host=127.0.0.1:8', 'username=bob', 'username=', 'path=a/b.git', 'password=x', 'wwwauth[]=Basic', 'capability[]=', 'junk', '=v', 'url=https://h.invalid/p'];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AUTHCTL_TOKEN: 'pre.issued', AUTHCTL_NATIVE_NODE: join(dir, 'node-stub') };
    let answered = 0;
    for (let i = 0; i < CASES; i++) {
      const picked = Array.from({ length: int(6) }, () => lines[int(lines.length)]!);
      if (i % 3 === 0) picked.unshift('protocol=https', 'host=git.example.invalid');
      let text = picked.join(r() < 0.2 ? '\r\n' : '\n') + pick(['\n\n', '\n', '', '\r\n\r\n', '\n\nafter=blank\n']);
      const m = int(8);
      if (m === 1) text = text.slice(0, int(text.length + 1));
      else if (m === 2) {
        const at = int(text.length);
        text = text.slice(0, at) + pick(['\r', '\0', '\u00e9', '\n', '\n\n', '\x1b']) + text.slice(at);
      } else if (m === 3) text = `host=${'h'.repeat(70_000 + int(10_000))}\n${text}`;
      const input = Buffer.from(text);
      const res = await runNative('git-credential-authctl', ['--profile', 'fz', 'get'], env, { input, timeoutMs: 10_000 });
      const where = `case ${i}: ${JSON.stringify(text.slice(0, 200))}`;
      if (handedOver(res, where)) continue;
      let expected: string | undefined;
      try {
        const cred = await readCredential(Readable.from([input]));
        if (transportAllowsToken(cred)) expected = `username=${cred.username ?? 'oauth2'}\npassword=pre.issued\n`;
      } catch {
        expected = undefined;
      }
      expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }, where).toEqual({ code: 0, stdout: expected, stderr: '' });
      answered++;
    }
    expect(answered).toBeGreaterThan(CASES / 10);

    function pick<T>(xs: readonly T[]): T {
      return xs[int(xs.length)]!;
    }
  });
  it(`${CASES} docker server URLs on stdin: answered only as docker-credential.ts get() would print them`, async () => {
    const r = rng(SEED ^ 0x646f636b);
    const int = (n: number) => Math.floor(r() * n);
    const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const pieces = ['registry.example.invalid', 'https://', 'http://', 'Registry.Example.Invalid', ':5000', '/v2/', '127.0.0.1', ' ', '\t', '\n', '\r\n', '\v', '\f', '"', '\\', '\u0000', '\u001b', '\u007f', '\u00a0', '\u00e9', '\u2028', '\ufeff', '\u{1f600}', '/', '?q=1', '#f', '%22', "'", '<>&', 'x'];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AUTHCTL_SOCK: join(dir, 'run', 'agent.sock'), AUTHCTL_NATIVE_NODE: join(dir, 'node-stub'), AUTHCTL_NATIVE_TIMEOUT_MS: '2000' };
    let answered = 0;
    for (let i = 0; i < CASES; i++) {
      let input: Buffer = Buffer.from(Array.from({ length: int(8) }, () => pick(pieces)).join(''));
      const m = int(10);
      if (m === 1) input = Buffer.concat([input, Buffer.from([pick([0x80, 0xc3, 0xed, 0xff])])]);
      else if (m === 2) input = Buffer.from('a'.repeat(1000 + int(2000)));
      else if (m === 3) input = Buffer.from(`${' '.repeat(int(3))}${'h'.repeat(70_000 + int(10_000))}`);
      const username = pick(['oauth2', 'robot"x', 'back\\slash', 'tab\there', 'caf\u00e9', '\u2028', '']);
      const secret = pick(['aa.bb.cc', 'q"uo\\te', 'ctl\u0001', '\u00e9t\u00e9']);
      current = { bytes: http(JSON.stringify({ accessToken: secret, tokenType: 'Bearer', expiresAt: 1700000000, scopes: [], profile: 'fz', registryUsername: username })) };
      lastRequest = '';
      const res = await runNative('docker-credential-authctl', ['get'], env, { input, timeoutMs: 10_000 });
      const where = `case ${i}: ${JSON.stringify(input.toString('utf8').slice(0, 200))}`;
      if (handedOver(res, where)) continue;
      // Node's readAll() and get(): the whole of stdin as UTF-8, trimmed, sent as `registry` and printed back.
      const serverUrl = input.toString('utf8').trim();
      const sent = JSON.parse(lastRequest.slice(lastRequest.indexOf('\r\n\r\n') + 4)) as { registry?: unknown };
      expect(sent, where).toEqual({ registry: serverUrl });
      expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }, where).toEqual({ code: 0, stdout: JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }) + '\n', stderr: '' });
      answered++;
    }
    expect(answered).toBeGreaterThan(CASES / 10);
  });
  it(`${CASES} git requests without --profile: the agent is asked for exactly the remote protocol.ts reads, and answered as get() would`, async () => {
    const r = rng(SEED ^ 0x6d617463);
    const int = (n: number) => Math.floor(r() * n);
    const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const lines = ['capability[]=authtype', 'protocol=https', 'protocol=http', 'host=git.example.invalid', 'host=Git.Example.invalid:8443', 'host=', 'username=bob', 'username=', 'path=a/b.git', 'path=a/"b\\c', 'path=', 'path=%2e%2e/x', 'password=x', 'junk', '=v', 'host=h\u001bx', 'path=\u00e9'];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AUTHCTL_SOCK: join(dir, 'run', 'agent.sock'), AUTHCTL_NATIVE_NODE: join(dir, 'node-stub'), AUTHCTL_NATIVE_TIMEOUT_MS: '2000' };
    let answered = 0;
    for (let i = 0; i < CASES; i++) {
      const picked = Array.from({ length: int(6) }, () => pick(lines));
      if (i % 2 === 0) picked.unshift('protocol=https', 'host=git.example.invalid');
      const text = picked.join(r() < 0.2 ? '\r\n' : '\n') + pick(['\n\n', '\n', '', '\n\nhost=after.invalid\n']);
      const input = Buffer.from(text);
      const profile = pick([{ gitAuthType: 'basic' as const }, { gitAuthType: 'basic' as const, gitUsername: 'x-token' }, { gitAuthType: 'basic' as const, gitUsername: 'q"x' }, { gitAuthType: 'bearer' as const }, {}]);
      const token: TokenResponse = { accessToken: pick(['aa.bb.cc', 'a"b\\c']), tokenType: 'Bearer', expiresAt: pick([0, 1700000000]), scopes: [], profile: 'fz' };
      current = { bytes: http(JSON.stringify({ ...token, ...profile })) };
      lastRequest = '';
      const res = await runNative('git-credential-authctl', ['get'], env, { input, timeoutMs: 10_000 });
      const where = `case ${i}: ${JSON.stringify(text)} ${JSON.stringify(profile)}`;
      if (handedOver(res, where)) continue;
      const cred = await readCredential(Readable.from([input]));
      const sent = JSON.parse(lastRequest.slice(lastRequest.indexOf('\r\n\r\n') + 4)) as unknown;
      expect(sent, where).toEqual({ gitRequest: { protocol: cred.protocol, host: cred.host, ...(cred.path === undefined ? {} : { path: cred.path }) } });
      expect({ code: res.code, stdout: res.stdout, stderr: res.stderr }, where).toEqual({ code: 0, stdout: formatCredential(answer(profile, cred, token)), stderr: '' });
      answered++;
    }
    expect(answered).toBeGreaterThan(CASES / 10);
  });
});
