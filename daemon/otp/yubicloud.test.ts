import { fetch as undiciFetch } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  VECTOR_KEY,
  VECTOR_OTP,
  mintYubicoOtp,
  startYubiCloudServer,
  type YubiCloudServer,
} from '../../test/fixtures/yubicloud-server.js';
import {
  parseYubiCloudResponse,
  signYubiCloudParams,
  verifyWithYubiCloud,
  type YubiCloudFetch,
  type YubiCloudResult,
} from './yubicloud.js';

const fetch: YubiCloudFetch = undiciFetch;
const clock = () => 1_700_000_000_000;

let servers: YubiCloudServer[] = [];
async function server(): Promise<YubiCloudServer> {
  const s = await startYubiCloudServer();
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function verify(s: YubiCloudServer, overrides: Partial<Parameters<typeof verifyWithYubiCloud>[0]> = {}) {
  return verifyWithYubiCloud({
    otp: VECTOR_OTP,
    clientId: s.clientId,
    apiKeyBase64: s.apiKeyBase64,
    urls: [s.url],
    fetch,
    now: clock,
    timeoutMs: 5_000,
    ...overrides,
  });
}

/** Whatever went wrong, neither the OTP nor the API key may appear in what the caller could log. */
function expectNoSecrets(result: YubiCloudResult, otp: string, apiKeyBase64: string): void {
  const text = JSON.stringify(result).toLowerCase();
  expect(text).not.toContain(otp.toLowerCase());
  expect(text).not.toContain(otp.slice(-32).toLowerCase());
  expect(text).not.toContain(apiKeyBase64.toLowerCase());
}

describe('signYubiCloudParams', () => {
  it("matches Yubico's worked example (forum.yubico.com t=1318, checked with openssl)", () => {
    const key = Buffer.from('Eibja2kRFXXoW6hjZaiyBtWnCBA=', 'base64');
    const params = { otp: 'ccccccbteuddjivcnlfefefrccdcjrfjfvgjnfkcklge', id: '15618', nonce: '0102030405060708090a0b0c0d0e0f' };
    expect(signYubiCloudParams(params, key)).toBe('Jt19GpDOAraTYRFBHSofYZFEwjE=');
  });
  it('ignores h and the insertion order', () => {
    const key = Buffer.from('k');
    expect(signYubiCloudParams({ b: '1', a: '2', h: 'x' }, key)).toBe(signYubiCloudParams(new Map([['a', '2'], ['b', '1']]), key));
  });
});

describe('parseYubiCloudResponse', () => {
  it('splits at the first = and skips blank lines', () => {
    expect(parseYubiCloudResponse('h=ab+c/d==\r\nstatus=OK\r\n\r\n')).toEqual(new Map([['h', 'ab+c/d=='], ['status', 'OK']]));
  });
  it.each(['', 'status', '=OK', 'status=OK\r\nstatus=REPLAYED_OTP', '<html>\n'])('refuses %j', (body) => {
    expect(parseYubiCloudResponse(body)).toBeNull();
  });
});

describe('verifyWithYubiCloud against the test validation server', () => {
  let s: YubiCloudServer;
  beforeEach(async () => {
    s = await server();
  });

  it('OK: a fresh OTP is accepted, with a signed request carrying a fresh nonce', async () => {
    expect(await verify(s)).toEqual({ ok: true });
    expect(s.requests).toHaveLength(1);
    const q = s.requests[0]!;
    expect(q).toMatchObject({ id: s.clientId, otp: VECTOR_OTP, timestamp: '1' });
    expect(q.nonce).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(q.h).toBe(signYubiCloudParams({ id: q.id!, otp: q.otp!, nonce: q.nonce!, timestamp: '1' }, Buffer.from(s.apiKeyBase64, 'base64')));
  });

  it('OK for an OTP typed with caps lock on', async () => {
    expect(await verify(s, { otp: VECTOR_OTP.toUpperCase() })).toEqual({ ok: true });
  });

  it('REPLAYED_OTP when the same OTP is sent again (the server tracks counters)', async () => {
    expect(await verify(s)).toEqual({ ok: true });
    const again = await verify(s);
    expect(again).toMatchObject({ ok: false, reason: 'REPLAYED_OTP' });
    expectNoSecrets(again, VECTOR_OTP, s.apiKeyBase64);
    const next = mintYubicoOtp({ ...VECTOR_KEY, usage: 19, session: 18 });
    expect(await verify(s, { otp: next })).toEqual({ ok: true });
  });

  it('REPLAYED_OTP when the server says so', async () => {
    s.setMode({ forceStatus: 'REPLAYED_OTP' });
    const result = await verify(s);
    expect(result).toMatchObject({ ok: false, reason: 'REPLAYED_OTP' });
    expectNoSecrets(result, VECTOR_OTP, s.apiKeyBase64);
  });

  it('BAD_OTP for an OTP of an unknown key', async () => {
    const otp = mintYubicoOtp({ ...VECTOR_KEY, publicId: 'cccccccccccc', usage: 1, session: 0 });
    expect(await verify(s, { otp })).toMatchObject({ ok: false, reason: 'BAD_OTP' });
  });

  it('refuses a response with a bad signature', async () => {
    s.setMode('bad_signature');
    const result = await verify(s);
    expect(result).toMatchObject({ ok: false, reason: 'bad_response_signature' });
    expectNoSecrets(result, VECTOR_OTP, s.apiKeyBase64);
  });

  it('refuses a signed OK that echoes another OTP', async () => {
    s.setMode('otp_mismatch');
    expect(await verify(s)).toMatchObject({ ok: false, reason: 'otp_mismatch' });
  });

  it('refuses a signed OK that echoes another nonce', async () => {
    s.setMode('nonce_mismatch');
    expect(await verify(s)).toMatchObject({ ok: false, reason: 'nonce_mismatch' });
  });

  it('a wrong API key cannot verify the answer (the server answered BAD_SIGNATURE, signed with its key)', async () => {
    const wrongKey = Buffer.alloc(20, 7).toString('base64');
    const result = await verify(s, { apiKeyBase64: wrongKey });
    expect(result).toMatchObject({ ok: false, reason: 'bad_response_signature' });
    expectNoSecrets(result, VECTOR_OTP, wrongKey);
  });

  it('names NO_SUCH_CLIENT although the server cannot sign it', async () => {
    expect(await verify(s, { clientId: '999' })).toMatchObject({ ok: false, reason: 'NO_SUCH_CLIENT' });
  });
});

describe('verifyWithYubiCloud: failover', () => {
  it('uses the second URL when the first is down', async () => {
    const dead = await startYubiCloudServer();
    await dead.close();
    const live = await server();
    const result = await verify(live, { urls: [dead.url, live.url] });
    expect(result).toEqual({ ok: true });
    expect(live.requests).toHaveLength(1);
  });

  it('uses the second URL when the first answers 5xx', async () => {
    const first = await server();
    const second = await startYubiCloudServer({ clientId: first.clientId, apiKeyBase64: first.apiKeyBase64 });
    servers.push(second);
    first.setMode('http_500');
    expect(await verify(first, { urls: [first.url, second.url] })).toEqual({ ok: true });
    expect(first.requests).toHaveLength(1);
    expect(second.requests).toHaveLength(1);
    expect(second.requests[0]!.nonce).not.toBe(first.requests[0]!.nonce);
  });

  it('gives a hanging first server only its share of the budget, then uses the second', async () => {
    const first = await server();
    const second = await startYubiCloudServer({ clientId: first.clientId, apiKeyBase64: first.apiKeyBase64 });
    servers.push(second);
    first.setMode('hang');
    const started = Date.now();
    const result = await verify(first, { urls: [first.url, second.url], now: Date.now, timeoutMs: 1_000 });
    expect(result).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not fail over on a definite answer', async () => {
    const first = await server();
    const second = await server();
    first.setMode({ forceStatus: 'BACKEND_ERROR' });
    expect(await verify(first, { urls: [first.url, second.url] })).toMatchObject({ ok: false, reason: 'BACKEND_ERROR' });
    expect(second.requests).toHaveLength(0);
  });

  it('reports unavailable when every URL is down, naming the servers and error codes only', async () => {
    const a = await startYubiCloudServer();
    const b = await startYubiCloudServer();
    await a.close();
    await b.close();
    const result = await verify(a, { urls: [a.url, b.url] });
    expect(result).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(result.ok ? '' : result.detail).toContain('ECONNREFUSED');
    expectNoSecrets(result, VECTOR_OTP, a.apiKeyBase64);
  });

  it('stops trying URLs once the clock says the budget is spent', async () => {
    let t = 0;
    const tried: string[] = [];
    const slowFailure: YubiCloudFetch = async (url) => {
      tried.push(url);
      t += 10_000;
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    };
    const result = await verifyWithYubiCloud({
      otp: VECTOR_OTP,
      clientId: '1',
      apiKeyBase64: 'a2V5',
      urls: ['https://one.example/verify', 'https://two.example/verify'],
      fetch: slowFailure,
      now: () => t,
      timeoutMs: 5_000,
    });
    expect(tried).toHaveLength(1);
    expect(result).toEqual({
      ok: false,
      reason: 'unavailable',
      detail: 'https://one.example: ECONNRESET; https://two.example: not tried, time budget spent',
    });
  });
});

describe('verifyWithYubiCloud: refuses before sending', () => {
  const never: YubiCloudFetch = () => {
    throw new Error('must not be called');
  };
  const base = { otp: VECTOR_OTP, clientId: '1', apiKeyBase64: 'a2V5', fetch: never, now: clock, timeoutMs: 1_000 };

  it('a malformed OTP', async () => {
    expect(await verifyWithYubiCloud({ ...base, otp: '123456', urls: ['https://api.yubico.com/wsapi/2.0/verify'] })).toEqual({
      ok: false,
      reason: 'malformed_otp',
    });
  });
  it('a plain-http URL that is not loopback', async () => {
    expect(await verifyWithYubiCloud({ ...base, urls: ['http://api.yubico.com/wsapi/2.0/verify'] })).toEqual({
      ok: false,
      reason: 'insecure_url',
      detail: 'http://api.yubico.com',
    });
  });
  it('a bad client id, API key or URL list', async () => {
    const urls = ['https://api.yubico.com/wsapi/2.0/verify'];
    expect(await verifyWithYubiCloud({ ...base, urls, clientId: 'x1' })).toEqual({ ok: false, reason: 'invalid_config' });
    expect(await verifyWithYubiCloud({ ...base, urls, apiKeyBase64: 'not base64!' })).toEqual({ ok: false, reason: 'invalid_config' });
    expect(await verifyWithYubiCloud({ ...base, urls: [] })).toEqual({ ok: false, reason: 'invalid_config' });
    expect(await verifyWithYubiCloud({ ...base, urls: ['not a url'] })).toEqual({ ok: false, reason: 'invalid_config' });
  });
});

describe('verifyWithYubiCloud: other HTTP answers', () => {
  it('a 4xx is final and reported as http_error', async () => {
    const tried: string[] = [];
    const notFound: YubiCloudFetch = async (url) => {
      tried.push(url);
      return { status: 404, text: async () => 'not found' };
    };
    const result = await verifyWithYubiCloud({
      otp: VECTOR_OTP,
      clientId: '1',
      apiKeyBase64: 'a2V5',
      urls: ['https://one.example/verify', 'https://two.example/verify'],
      fetch: notFound,
      now: clock,
      timeoutMs: 1_000,
    });
    expect(result).toEqual({ ok: false, reason: 'http_error', detail: 'https://one.example: HTTP 404' });
    expect(tried).toHaveLength(1);
  });
});
