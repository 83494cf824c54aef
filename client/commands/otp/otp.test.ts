/**
 * `authctl otp` through `run`, against an in-process agent whose OTP clock the test holds;
 * the prompt is a function here (the terminal and askpass prompts have their own e2e
 * tests) that answers with codes from the real `oathtool` or minted YubiKey OTPs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../agent-client.js';
import { startAgent, type RunningAgent } from '../../../daemon/agent.js';
import type { OtpStatusResponse } from '../../../shared/api.js';
import { AuthctlError } from '../../../shared/errors.js';
import { makeTestHome, type TestHome } from '../../../test/fixtures/agent-home.js';
import { oathtoolTotp } from '../../../test/fixtures/oathtool.js';
import { captureIO } from '../../../test/fixtures/test-io.js';
import { mintYubicoOtp, VECTOR_KEY } from '../../../test/fixtures/yubicloud-server.js';
import type { SecretPrompt } from '../../otp-prompt.js';
import { parseOtpArgs, run } from './otp.js';
import { renderQr } from './qr.js';
import { refusal } from '../../../test/fixtures/refusal.js';
import { runOnTerminal } from '../../../test/fixtures/terminal.js';

let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
let clock = Date.now();
let secret = '';

const io = () => captureIO(() => client);
const code = () => oathtoolTotp(secret, Math.floor(clock / 1000));

/** A prompt that answers from a list and records what it was asked. */
function prompter(...replies: Array<string | (() => string)>): SecretPrompt & { asked: string[] } {
  const asked: string[] = [];
  const ask = async (text: string) => {
    asked.push(text);
    const r = replies.shift();
    if (r === undefined) throw new Error(`unexpected prompt: ${text}`);
    return typeof r === 'function' ? r() : r;
  };
  return Object.assign(ask, { asked });
}


beforeAll(async () => {
  home = makeTestHome();
  home.writeConfig({ storage: 'file' });
  agent = await startAgent({ pathEnv: home.pathEnv, log: 'silent', otp: { now: () => clock } });
  client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
});

afterAll(async () => {
  await agent?.close();
  home?.cleanup();
});

describe('parseOtpArgs', () => {
  it('reads each verb and its flags', () => {
    expect(parseOtpArgs(['enroll', '--totp'])).toEqual({ verb: 'enroll', settings: { method: 'totp' } });
    expect(parseOtpArgs(['enroll', '--yubikey', '--aes-key', 'K', '--public-id', 'P'])).toEqual({ verb: 'enroll', settings: { method: 'yubikey', aesKey: 'K', publicId: 'P' } });
    expect(parseOtpArgs(['enroll', '--yubikey', '--client-id', '1', '--api-key', 'A', '--url', 'https://a', '--url', 'https://b'])).toEqual({
      verb: 'enroll',
      settings: { method: 'yubikey', clientId: '1', apiKey: 'A', urls: ['https://a', 'https://b'] },
    });
    expect(parseOtpArgs(['status', '--json'])).toEqual({ verb: 'status', json: true });
    expect(parseOtpArgs(['remove'])).toEqual({ verb: 'remove', method: undefined });
    expect(parseOtpArgs(['remove', '--yubikey'])).toEqual({ verb: 'remove', method: 'yubikey' });
  });

  it.each([
    [['enroll'], /exactly one of --totp and --yubikey/],
    [['enroll', '--totp', '--aes-key', 'K'], /--aes-key belongs to --yubikey/],
    [['enroll', '--yubikey', '--aes-key', 'K'], /needs both --aes-key and --public-id/],
    [['enroll', '--yubikey', '--aes-key', 'K', '--public-id', 'P', '--client-id', '1'], /either --aes-key/],
    [['remove', '--totp', '--yubikey'], /remove one method/],
    [['frobnicate'], /unknown otp command "frobnicate"/],
  ])('refuses %j as a usage error', (argv, message) => {
    const e = (() => {
      try {
        parseOtpArgs(argv);
      } catch (err) {
        return err as AuthctlError;
      }
    })();
    expect(e?.code).toBe('usage');
    expect(e?.message).toMatch(message);
    expect(e?.message).toContain('usage: authctl otp enroll --totp');
  });
});

describe('authctl otp', () => {
  it('status says nothing is enrolled and privileged requests are refused', async () => {
    const out = io();
    expect(await run({ verb: 'status', json: false }, out)).toBe(0);
    expect(out.out()).toContain('storage: file\nWARNING: OTP secrets are stored in');
    expect(out.out()).toContain('no one-time password method is enrolled');
  });

  it('enroll --totp on a terminal shows the URI and secret, asks again after a wrong code, and activates with the right one', async () => {
    // A first method is enrolled by a person at a terminal: the built CLI on a pty.
    const t = runOnTerminal(['otp', 'enroll', '--totp'], home.env);
    const shown = await t.waitFor(/Or add this URI: otpauth:\/\/totp\/authctl:[^?\s]+\?\S*secret=([A-Z2-7]{32})/);
    secret = shown[1]!;
    await t.waitFor(/to finish enrolling: /);
    t.typeLine('000000x');
    await t.waitFor(/enter the 6-digit code your authenticator app shows\s+Enter the code your authenticator app shows now, to finish enrolling: /);
    t.typeLine(code());
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('Enrolled TOTP.');
    clock += 30_000;
  });

  it('enroll --yubikey asks for an OTP of the enrolled method first, then for a touch', async () => {
    const out = io();
    const ask = prompter(() => code(), mintYubicoOtp({ ...VECTOR_KEY, usage: 1, session: 0 }));
    const settings = { method: 'yubikey' as const, aesKey: VECTOR_KEY.aesKeyHex, publicId: VECTOR_KEY.publicId };
    expect(await run({ verb: 'enroll', settings }, out, ask)).toBe(0);
    expect(ask.asked[0]).toContain('approve: enrolling a new YubiKey method');
    expect(ask.asked[0]).toContain('One-time password (code from your authenticator app): ');
    expect(ask.asked[1]).toBe('Touch your YubiKey (cursor here) to finish enrolling: ');
    expect(out.err()).toContain(`Enrolled YubiKey ${VECTOR_KEY.publicId}.`);
    clock += 30_000;
  });

  it('status lists both methods; --json has no secret', async () => {
    const text = io();
    await run({ verb: 'status', json: false }, text);
    expect(text.out()).toMatch(/^totp: enrolled \d{4}-\d\d-\d\dT.*, last used \d{4}-/m);
    expect(text.out()).toMatch(/^yubikey \(offline, public id dteffuje\): enrolled /m);
    const json = io();
    await run({ verb: 'status', json: true }, json);
    const s = JSON.parse(json.out()) as OtpStatusResponse;
    expect(s.methods.map((m) => m.method)).toEqual(['totp', 'yubikey']);
    expect(json.out()).not.toContain(secret);
    expect(json.out()).not.toContain(VECTOR_KEY.aesKeyHex);
  });

  it('refuses bad YubiKey settings before asking for anything', async () => {
    const ask = prompter();
    const e = await refusal(run({ verb: 'enroll', settings: { method: 'yubikey', aesKey: 'zz', publicId: VECTOR_KEY.publicId } }, io(), ask));
    expect(e.code).toBe('bad_request');
    expect(ask.asked).toEqual([]);
  });

  it('remove --yubikey answers its challenge with the YubiKey itself', async () => {
    const out = io();
    const ask = prompter(mintYubicoOtp({ ...VECTOR_KEY, usage: 1, session: 1 }));
    expect(await run({ verb: 'remove', method: 'yubikey' }, out, ask)).toBe(0);
    expect(ask.asked[0]).toContain('approve: removing the YubiKey method');
    expect(ask.asked[0]).toContain('(code from your authenticator app or touch of your YubiKey)');
    expect(out.err()).toBe('Removed: yubikey.\n');
  });

  it('remove without a flag removes every method, after an OTP', async () => {
    const out = io();
    const ask = prompter(() => code());
    expect(await run({ verb: 'remove' }, out, ask)).toBe(0);
    expect(ask.asked[0]).toContain('approve: removing every one-time password method');
    expect(out.err()).toContain('Removed: totp. Privileged requests are refused until a method is enrolled again.');
    const e = await refusal(run({ verb: 'remove' }, io(), prompter()));
    expect(e.code).toBe('not_found');
  });
});

describe('renderQr', () => {
  it('says there is no QR code when the package cannot be loaded', async () => {
    expect(await renderQr('otpauth://totp/x?secret=A', () => import(['qrcode', 'absent', 'for', 'this', 'test'].join('-')))).toBeUndefined();
  });
});
