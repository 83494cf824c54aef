/**
 * The quirk rewriters (daemon/oauth/quirks/) through `withQuirks`, fed the answers real
 * providers send; the network below is a function returning those answers. The agent
 * against the test IdP's emulation modes is test/integration/providers-modes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { jwtLifetime } from '../../daemon/oauth/oauth-engine.js';
import { withRetries } from '../../daemon/oauth/retry.js';
import { quirksFor, withQuirks, type FetchLike } from '../../daemon/oauth/transport.js';
import { deviceFlow } from '../../daemon/oauth/quirks/generic.js';
import type { Profile, ProviderName } from '../../shared/config.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface Sent {
  url: string;
  headers: Headers;
  params: URLSearchParams;
}

/** One provider answer; records what was sent. */
function provider(status: number, body: string, contentType = 'application/json'): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push({ url, headers: new Headers(init.headers), params: new URLSearchParams(String(init.body ?? '')) });
    return new Response(body, { status, headers: { 'content-type': contentType } });
  };
  return { fetch, sent };
}

async function exchange(name: ProviderName, answer: { status: number; body: string; type?: string }, params: Record<string, string> = {}, profile: Partial<Profile> = {}) {
  const net = provider(answer.status, answer.body, answer.type);
  const f = withQuirks(net.fetch, quirksFor({ issuer: 'https://id.example', clientId: 'c', scopes: [], provider: name, ...profile }));
  const res = await f('https://id.example/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: (() => { try { return JSON.parse(text); } catch { return text; } })(), sent: net.sent[0]! };
}

describe('generic normalisation (every provider)', () => {
  it('reads the error from the body whatever the status', async () => {
    expect(await exchange('generic', { status: 200, body: '{"error":"authorization_pending"}' })).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect((await exchange('generic', { status: 403, body: '{"error":"access_denied"}' })).status).toBe(403);
  });

  it('a 5xx, a 429 and temporarily_unavailable are transient whatever the body, with the wait the provider asked for', async () => {
    const transient = { code: 'idp_unavailable' };
    await expect(exchange('generic', { status: 503, body: '{"error":"invalid_request"}' })).rejects.toMatchObject(transient);
    await expect(exchange('generic', { status: 400, body: '{"error":"temporarily_unavailable"}' })).rejects.toMatchObject(transient);
    await expect(exchange('generic', { status: 502, body: '<html>bad gateway</html>', type: 'text/html' })).rejects.toMatchObject({ ...transient, message: 'id.example answered HTTP 502' });
    const limited = await exchange('generic', { status: 429, body: '{"error":"invalid_grant"}' }, { grant_type: 'refresh_token' }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ ...transient, message: 'id.example is rate-limiting this client (HTTP 429)' });
    // In a device poll, slow_down and authorization_pending keep their meaning, whatever the status.
    expect((await exchange('generic', { status: 429, body: '{"error":"slow_down"}' }, { grant_type: DEVICE_GRANT })).status).toBe(429);
  });

  it('verification_url is verification_uri, and a form sent as text/plain is read', async () => {
    const r = await exchange('generic', { status: 200, body: '{"device_code":"d","user_code":"U","verification_url":"https://www.google.com/device","expires_in":1800,"interval":5}' });
    expect(r.body).toMatchObject({ verification_uri: 'https://www.google.com/device' });
    expect(r.body.verification_url).toBeUndefined();
    const form = await exchange('generic', { status: 200, body: 'access_token=a&token_type=bearer&scope=repo', type: 'text/plain; charset=utf-8' });
    expect(form.body).toMatchObject({ access_token: 'a', token_type: 'bearer' });
  });

  it('numbers sent as strings, authorization_declined, and `message` as the description', async () => {
    const r = await exchange('generic', { status: 200, body: '{"access_token":"a","token_type":"Bearer","expires_in":"3599","interval":"5"}' });
    expect(r.body).toMatchObject({ expires_in: 3599, interval: 5 });
    const d = await exchange('generic', { status: 400, body: '{"error":"authorization_declined","message":"The user declined"}' });
    expect(d.body).toMatchObject({ error: 'access_denied', error_description: 'The user declined' });
  });

  it('leaves what is not JSON alone for openid-client to reject, and GETs untouched', async () => {
    expect(await exchange('generic', { status: 200, body: '<html>login</html>', type: 'text/html' })).toMatchObject({ body: '<html>login</html>', type: 'text/html' });
    const net = provider(200, '{"issuer":"x","error":"not-an-oauth-answer"}');
    const res = await withQuirks(net.fetch, quirksFor({ issuer: 'https://id.example', clientId: 'c', scopes: [] }))('https://id.example/.well-known/openid-configuration', { method: 'GET' });
    expect(res.status).toBe(200);
  });
});

describe('provider rewriters', () => {
  it('github: form-encoded 200 errors, slow_down with the new interval, comma scopes, its own names', async () => {
    const slow = await exchange('github', { status: 200, body: 'error=slow_down&error_description=Too+many+requests&interval=10', type: 'application/x-www-form-urlencoded; charset=utf-8' });
    expect(slow).toMatchObject({ status: 400, type: 'application/json', body: { error: 'slow_down', interval: 10 } });
    expect(slow.sent.headers.get('accept')).toBe('application/json');
    expect((await exchange('github', { status: 200, body: '{"error":"bad_refresh_token"}' })).body.error).toBe('invalid_grant');
    const ok = await exchange('github', { status: 200, body: '{"access_token":"a","token_type":"bearer","scope":"repo,read:org","refresh_token":"r","refresh_token_expires_in":15897600}' });
    expect(ok.body).toMatchObject({ scope: 'repo read:org', refresh_expires_in: 15897600 });
    expect(ok.body.refresh_token_expires_in).toBeUndefined();
  });

  it('entra: bad_verification_code, and ID tokens dropped where their issuer can never match', async () => {
    expect((await exchange('entra', { status: 400, body: '{"error":"bad_verification_code"}' })).body.error).toBe('invalid_grant');
    const answer = { status: 200, body: '{"access_token":"a","token_type":"Bearer","id_token":"i"}' };
    const alias = await exchange('entra', answer, {}, { issuer: 'https://login.microsoftonline.com/organizations/v2.0' });
    expect(alias.body.id_token).toBeUndefined();
    const tenantId = await exchange('entra', answer, {}, { issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' });
    expect(tenantId.body.id_token).toBe('i');
  });

  it('auth0: `resource` travels as `audience`; a rate limit is transient, slow_down in a poll is not', async () => {
    const r = await exchange('auth0', { status: 400, body: '{"error":"invalid_scope"}' }, { grant_type: 'refresh_token', resource: 'https://api' });
    expect(r.sent.params.get('audience')).toBe('https://api');
    expect(r.sent.params.has('resource')).toBe(false);
    await expect(exchange('auth0', { status: 429, body: '{"error":"too_many_requests"}' }, { grant_type: 'refresh_token' })).rejects.toMatchObject({ code: 'idp_unavailable' });
    expect((await exchange('auth0', { status: 429, body: '{"error":"slow_down"}' }, { grant_type: DEVICE_GRANT })).status).toBe(429);
  });

  it('okta: its API error shape (E0000047 rate limit) becomes a transient OAuth error', async () => {
    const r = exchange('okta', { status: 429, body: '{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}' });
    await expect(r).rejects.toMatchObject({ code: 'idp_unavailable' });
    const other = await exchange('okta', { status: 400, body: '{"errorCode":"E0000021","errorSummary":"Bad request."}' });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'E0000021: Bad request.' } });
  });

  it('keycloak: refresh_expires_in 0 (an offline session) means no expiry', async () => {
    const r = await exchange('keycloak', { status: 200, body: '{"access_token":"a","token_type":"Bearer","refresh_token":"r","refresh_expires_in":0}' });
    expect(r.body.refresh_expires_in).toBeUndefined();
  });
});

describe('device-flow state', () => {
  it('invalid_grant for a device code past its expiry is expired_token (Auth0 says expired_token only once)', async () => {
    let now = 1_000_000;
    const quirk = deviceFlow(() => now);
    const poll = { url: new URL('https://id.example/token'), headers: new Headers(), params: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: 'd' }) };
    quirk.response!({ status: 200, headers: new Headers(), body: { device_code: 'd', user_code: 'U', verification_uri: 'v', expires_in: 300 } }, { ...poll, params: new URLSearchParams() });
    const early = { status: 400, headers: new Headers(), body: { error: 'invalid_grant' } as Record<string, unknown> };
    quirk.response!(early, poll);
    expect(early.body.error).toBe('invalid_grant');
    now += 300_000;
    const late = { status: 403, headers: new Headers(), body: { error: 'invalid_grant' } as Record<string, unknown> };
    quirk.response!(late, poll);
    expect(late.body.error).toBe('expired_token');
  });
});

describe('retries', () => {
  it('retries only what the caller calls transient, a bounded number of times', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error('ECONNRESET'));
    };
    await expect(withRetries(failing, () => true, { attempts: 3, baseMs: 1, maxMs: 1 }, () => 0)).rejects.toThrow('ECONNRESET');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetries(failing, () => false, { attempts: 3, baseMs: 1, maxMs: 1 }, () => 0)).rejects.toThrow('ECONNRESET');
    expect(calls).toBe(1);
    expect(await withRetries(async (attempt) => (attempt < 1 ? Promise.reject(new Error('x')) : 'ok'), () => true, { attempts: 3, baseMs: 1, maxMs: 1 }, () => 0)).toBe('ok');
  });
});

describe('token lifetime without expires_in', () => {
  it('is exp - iat, by the provider\'s own clock, whatever ours says', async () => {
    const key = new TextEncoder().encode('k'.repeat(32));
    const skewed = Math.floor(Date.now() / 1000) - 7200; // a provider two hours behind
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(skewed).setExpirationTime(skewed + 300).sign(key);
    expect(jwtLifetime(jwt)).toBe(300);
    expect(jwtLifetime('opaque-token')).toBeUndefined();
  });
});
