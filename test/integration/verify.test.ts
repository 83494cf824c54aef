/**
 * authctl/verify against access tokens from the test IdP (minted through its RFC 8693
 * grant): what an API server must accept and refuse, key rotation and outages, the node:http
 * helper, PATs, and `authctl verify` as a process. Key refetches are counted at the IdP;
 * time moves through the verifier's clock and a faked Date (jose's cooldown reads it), never
 * by waiting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startTestIdp, TEST_RESOURCE, type TestIdp } from '../fixtures/idp.js';
import { startFakeCi, type FakeCi } from '../fixtures/ci-issuer.js';
import { runCli } from '../fixtures/cli.js';
import { makeTestHome } from '../fixtures/agent-home.js';
import { authenticate, checkPatFormat, createPat, createVerifier, hashPat, VerifyError, type PatRecord } from '../../verify/index.js';

let ci: FakeCi;
let idp: TestIdp;

beforeAll(async () => {
  ci = await startFakeCi();
  idp = await startTestIdp({ federation: { ciIssuer: ci.issuer, ciJwksUri: ci.jwksUri } });
});

afterAll(async () => {
  await idp?.close();
  await ci?.close();
});

afterEach(() => {
  vi.useRealTimers();
});

/** An access token from the IdP for the API, through its token-exchange grant. */
async function mint(scope = 'api:read', target: TestIdp = idp): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    client_id: 'ci-app',
    subject_token: await ci.mint({ aud: target.issuer }),
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    scope,
    resource: TEST_RESOURCE,
  });
  const res = await fetch(`${target.issuer}/token`, { method: 'POST', body });
  const json = (await res.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

const verifier = (extra: Partial<Parameters<typeof createVerifier>[0]> = {}) => createVerifier({ issuer: idp.issuer, audience: TEST_RESOURCE, realm: 'api', ...extra });

async function rejection(p: Promise<unknown>): Promise<VerifyError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VerifyError);
  return e as VerifyError;
}

function b64(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

describe('verify: JWTs from the IdP', () => {
  it('accepts a valid token, as a header or bare, with its scopes', async () => {
    const token = await mint('api:read api:write');
    const verify = verifier({ requireAtJwt: true });
    const bare = await verify(token);
    expect(bare.claims.aud).toBe(TEST_RESOURCE);
    expect(bare.scopes.sort()).toEqual(['api:read', 'api:write']);
    expect((await verify(`Bearer ${token}`)).claims.jti).toBe(bare.claims.jti);
  });

  it('refuses a tampered payload and a tampered signature', async () => {
    const token = await mint();
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = { ...decodeJwt(token), scope: 'api:read admin:all' };
    const verify = verifier();
    expect((await rejection(verify(`${h}.${b64(payload)}.${s}`))).message).toBe('the signature does not verify');
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    const e = await rejection(verify(`${h}.${p}.${flipped}`));
    expect(e.code).toBe('invalid_token');
    expect(e.status).toBe(401);
    expect(e.wwwAuthenticate).toBe('Bearer realm="api", error="invalid_token", error_description="the signature does not verify"');
  });

  it('refuses a token for another audience', async () => {
    const e = await rejection(verifier({ audience: 'https://other.authctl.test' })(await mint()));
    expect(e.code).toBe('invalid_token');
    expect(e.message).toMatch(/aud is not accepted/);
  });

  it('accepts an expired token within the clock tolerance, refuses it beyond', async () => {
    const token = await mint();
    const exp = decodeJwt(token).exp! * 1000;
    expect((await verifier({ now: () => exp + 29_000 })(token)).claims.exp).toBe(exp / 1000);
    const e = await rejection(verifier({ now: () => exp + 31_000 })(token));
    expect(e.message).toBe('the token expired');
    expect((await rejection(verifier({ now: () => exp + 5_000, clockToleranceSeconds: 0 })(token))).message).toBe('the token expired');
  });

  it('refuses alg none and HS256 signed with the IdP\'s public key', async () => {
    const token = await mint();
    const [h, p] = token.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const verify = verifier();
    const none = await rejection(verify(`${b64({ ...header, alg: 'none' })}.${p}.`));
    expect(none.message).toBe("the token's algorithm none is not accepted");
    const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const signingInput = `${b64({ ...header, alg: 'HS256' })}.${p}`;
    const forged = `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
    expect((await rejection(verify(forged))).message).toBe("the token's algorithm HS256 is not accepted");
    expect(() => createVerifier({ issuer: idp.issuer, audience: TEST_RESOURCE, algorithms: ['RS256', 'HS256'] })).toThrow(/only asymmetric algorithms/);
  });

  it('a missing scope is insufficient_scope (403) with the scope in the challenge', async () => {
    const token = await mint('api:read');
    const e = await rejection(verifier({ scopes: ['api:read'] })(token, { scopes: ['api:write'] }));
    expect(e.code).toBe('insufficient_scope');
    expect(e.status).toBe(403);
    expect(e.wwwAuthenticate).toBe('Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope api:write", scope="api:read api:write"');
  });

  it('scopes come from `scp` arrays too', async () => {
    const { scopesOf } = await import('../../verify/verifier.js');
    expect(scopesOf({ scp: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(scopesOf({ scope: 'a b' })).toEqual(['a', 'b']);
    expect(scopesOf({})).toEqual([]);
  });
});

describe('verify: keys', () => {
  it('after the IdP rotates its key, an unknown kid costs one refetch; a flood of forged kids costs at most one per cooldown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = verifier();
    const start = idp.federation!.counts().jwks;
    await verify(await mint());
    expect(idp.federation!.counts().jwks - start).toBe(1);

    idp.federation!.rotateSigningKey();
    const rotated = await mint();
    vi.setSystemTime(Date.now() + 31_000);
    expect((await verify(rotated)).claims.aud).toBe(TEST_RESOURCE);
    expect(idp.federation!.counts().jwks - start).toBe(2);

    const { privateKey } = await generateKeyPair('RS256');
    const forged = async () =>
      new SignJWT({ scope: 'api:read' })
        .setProtectedHeader({ alg: 'RS256', kid: randomBytes(8).toString('hex') })
        .setIssuer(idp.issuer)
        .setAudience(TEST_RESOURCE)
        .setExpirationTime('5m')
        .sign(privateKey);
    for (let i = 0; i < 25; i++) expect((await rejection(verify(await forged()))).message).toBe("no key of the issuer matches the token's kid");
    expect(idp.federation!.counts().jwks - start).toBe(2);
    vi.setSystemTime(Date.now() + 31_000);
    for (let i = 0; i < 25; i++) await rejection(verify(await forged()));
    expect(idp.federation!.counts().jwks - start).toBe(3);
  });

  it('while the IdP is down, cached keys keep verifying; with no keys yet it is jwks_unavailable (503)', async () => {
    const ci2 = ci;
    const down = await startTestIdp({ federation: { ciIssuer: ci2.issuer, ciJwksUri: ci2.jwksUri } });
    const token = await mint('api:read', down);
    const exp = decodeJwt(token).exp! * 1000;
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createVerifier({ issuer: down.issuer, audience: TEST_RESOURCE, now: () => exp - 60_000 });
    const cold = createVerifier({ issuer: down.issuer, audience: TEST_RESOURCE });
    await verify(token);
    await down.close();
    expect((await verify(token)).claims.aud).toBe(TEST_RESOURCE);
    // Past the cache's max age the refetch fails, and the keys already fetched still verify.
    vi.setSystemTime(Date.now() + 11 * 60_000);
    expect((await verify(token)).claims.aud).toBe(TEST_RESOURCE);
    expect((await verify(token)).claims.aud).toBe(TEST_RESOURCE);
    const e = await rejection(cold(token));
    expect(e.code).toBe('jwks_unavailable');
    expect(e.status).toBe(503);
  });
});

describe('verify: PATs', () => {
  it('createPat, checkPatFormat and hashPat round-trip; typos and random strings fail offline', () => {
    const { token, hash } = createPat({ prefix: 'acme' });
    expect(token).toMatch(/^acme_[0-9A-Za-z]{36}$/);
    expect(hash).toBe(hashPat(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checkPatFormat(token, 'acme')).toBe(true);
    expect(checkPatFormat(token, 'other')).toBe(false);
    const typo = token.slice(0, 12) + (token[12] === 'x' ? 'y' : 'x') + token.slice(13);
    expect(checkPatFormat(typo, 'acme')).toBe(false);
    expect(checkPatFormat(`acme_${'a'.repeat(36)}`, 'acme')).toBe(false);
    expect(checkPatFormat(token + 'a', 'acme')).toBe(false);
    expect(new Set(Array.from({ length: 50 }, () => createPat({ prefix: 'acme' }).token)).size).toBe(50);
    expect(() => createPat({ prefix: 'a_b' })).toThrow(/prefix/);
  });

  it('one verifier accepts JWTs and PATs; a typo never reaches the lookup', async () => {
    const { token, hash } = createPat({ prefix: 'acme' });
    const store = new Map<string, PatRecord>([[hash, { sub: 'robot', scopes: ['api:read'] }]]);
    const lookups: string[] = [];
    const verify = verifier({ patPrefix: 'acme', lookupPat: (h) => (lookups.push(h), store.get(h)) });
    const pat = await verify(`Bearer ${token}`);
    expect(pat).toEqual({ kind: 'pat', claims: { sub: 'robot' }, scopes: ['api:read'] });
    expect((await verify(await mint())).kind).toBe('jwt');
    const typo = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    expect((await rejection(verify(typo))).code).toBe('invalid_token');
    expect(lookups).toEqual([hash]);
    expect((await rejection(verify(createPat({ prefix: 'acme' }).token))).message).toBe('the access token is unknown or revoked');
    expect((await rejection(verify(token, { scopes: ['api:write'] }))).code).toBe('insufficient_scope');
  });
});

describe('verify: the node:http helper', () => {
  it('answers 401 with the bare challenge, 401 invalid_token, 403 insufficient_scope, and lets a valid token through', async () => {
    const verify = verifier();
    const server: Server = createServer(async (req, res) => {
      const auth = await authenticate(verify, req, res, { scopes: req.url === '/write' ? ['api:write'] : [] });
      if (!auth) return;
      res.end(`hello ${auth.claims.sub}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await mint('api:read');
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      const bad = await fetch(url, { headers: { authorization: 'Bearer nope' } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
      const write = await fetch(`${url}/write`, { headers: { authorization: `Bearer ${token}` } });
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('hello ci-app');
    } finally {
      server.close();
    }
  });
});

describe('docs/verify.md', () => {
  it('the ten-line server accepts an IdP token and a PAT, and refuses a bad one', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const block = /## A ten-line server\n\n```js\n([\s\S]*?)```/.exec(readFileSync(join(root, 'docs/verify.md'), 'utf8'))![1]!;
    expect(block.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(10);
    const pat = createPat({ prefix: 'acme' });
    const source =
      `const db = { pats: new Map([[${JSON.stringify(pat.hash)}, { sub: 'robot', scopes: ['api:read'] }]]) };\n` +
      block
        .replace("'authctl/verify'", JSON.stringify(join(root, 'dist/verify/index.js')))
        .replace('https://idp.example.com', idp.issuer)
        .replace('https://api.example.com', TEST_RESOURCE)
        .replace('.listen(8080)', ".listen(0, '127.0.0.1', function () { console.log(this.address().port); })");
    const dir = mkdtempSync(join(tmpdir(), 'authctl-docs-'));
    writeFileSync(join(dir, 'server.mjs'), source);
    const child = spawn(process.execPath, [join(dir, 'server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
      const call = (auth: string) => fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: auth } });
      const jwt = await call(`Bearer ${await mint('api:read')}`);
      expect(await jwt.text()).toBe('hello ci-app, you may api:read\n');
      expect(await (await call(`Bearer ${pat.token}`)).text()).toBe('hello robot, you may api:read\n');
      const bad = await call('Bearer acme_nope');
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('authctl verify', () => {
  it('prints the claims (exit 0), says why a token is invalid (exit 3), and exits 5 without keys and 2 on usage errors', async () => {
    const home = makeTestHome();
    try {
      const token = await mint('api:read');
      const ok = await runCli(['verify', '--issuer', idp.issuer, '--audience', TEST_RESOURCE, '--scope', 'api:read', '-'], home.env, { input: `Bearer ${token}\n` });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ aud: TEST_RESOURCE, scope: 'api:read', iss: idp.issuer });
      const scope = await runCli(['verify', '--issuer', idp.issuer, '--audience', TEST_RESOURCE, '--scope', 'admin:all', token], home.env);
      expect(scope.code).toBe(3);
      expect(scope.stderr).toMatch(/insufficient scope: the token lacks the scope admin:all/);
      const bad = await runCli(['verify', '--issuer', idp.issuer, '--audience', 'https://other.authctl.test', token], home.env);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/invalid token: the token's aud is not accepted/);
      expect(bad.stdout).toBe('');
      home.writeConfig({ profiles: { api: { issuer: idp.issuer, clientId: 'cli-app', scopes: [], resource: TEST_RESOURCE } } });
      expect((await runCli(['verify', '--profile', 'api', token], home.env)).code).toBe(0);
      const gone = await runCli(['verify', '--issuer', 'http://127.0.0.1:9', '--audience', TEST_RESOURCE, token], home.env);
      expect(gone.code).toBe(5);
      expect(gone.stderr).toMatch(/cannot check the token: the issuer's discovery document cannot be fetched/);
      const usage = await runCli(['verify', '--issuer', idp.issuer, token], home.env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/give --audience/);
    } finally {
      home.cleanup();
    }
  });
});
