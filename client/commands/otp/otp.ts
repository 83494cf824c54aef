/**
 * `authctl otp enroll --totp | enroll --yubikey ... | status | remove`: the one-time
 * password methods that approve privileged requests. Enrolment ends with a first code from
 * the new method; while a method is enrolled, enrolling or removing one needs an OTP.
 */
import { parseCommandArgs, subcommandOf } from '../../cli/parse.js';
import { OTP_ENROLL_SPEC, OTP_REMOVE_SPEC, OTP_SPEC, OTP_STATUS_SPEC } from './spec.js';
import type { OtpEnrollRequest, OtpEnrollResponse, OtpMethodName, OtpRemoveResponse, OtpStatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { askForSecret, askOnTerminal, withOtp, type SecretPrompt } from '../../otp-prompt.js';
import { renderQr } from './qr.js';

export type OtpOptions =
  | { verb: 'enroll'; settings: Omit<OtpEnrollRequest, 'otp' | 'enrollmentId' | 'code'> }
  | { verb: 'status'; json: boolean }
  | { verb: 'remove'; method?: OtpMethodName };

/** The usage lines from the command table (./spec.ts), so this message cannot drift from help. */
const USAGE = OTP_SPEC.usage.map((u, i) => `${i ? '       ' : 'usage: '}authctl ${u}`).join('\n');

export function parseOtpArgs(argv: string[]): OtpOptions {
  const [verb, ...rest] = argv;
  subcommandOf(OTP_SPEC, verb);
  const usage = (why: string) => new AuthctlError('usage', `${why}\n${USAGE}`);
  switch (verb) {
    case 'enroll': {
      const { values } = parseCommandArgs(OTP_ENROLL_SPEC, rest);
      if (values.totp === values.yubikey) throw usage('enroll needs exactly one of --totp and --yubikey');
      const yubikeyFlags = ['aes-key', 'public-id', 'private-uid', 'client-id', 'api-key', 'url'] as const;
      if (values.totp) {
        const extra = yubikeyFlags.find((f) => values[f] !== undefined);
        if (extra) throw usage(`--${extra} belongs to --yubikey`);
        return { verb: 'enroll', settings: { method: 'totp' } };
      }
      const offline = Boolean(values['aes-key'] || values['public-id'] || values['private-uid']);
      const online = Boolean(values['client-id'] || values['api-key'] || values.url);
      if (offline === online) throw usage('--yubikey needs either --aes-key and --public-id (offline) or --client-id and --api-key (YubiCloud)');
      if (offline && (!values['aes-key'] || !values['public-id'])) throw usage('offline YubiKey checking needs both --aes-key and --public-id');
      if (online && (!values['client-id'] || !values['api-key'])) throw usage('YubiCloud checking needs both --client-id and --api-key');
      const settings: OtpEnrollRequest = offline
        ? { method: 'yubikey', aesKey: values['aes-key'], publicId: values['public-id'], privateUid: values['private-uid'] }
        : { method: 'yubikey', clientId: values['client-id'], apiKey: values['api-key'], urls: values.url };
      return { verb: 'enroll', settings: dropUndefined(settings) };
    }
    case 'status': {
      const { values } = parseCommandArgs(OTP_STATUS_SPEC, rest);
      return { verb: 'status', json: values.json };
    }
    case 'remove': {
      const { values } = parseCommandArgs(OTP_REMOVE_SPEC, rest);
      if (values.totp && values.yubikey) throw usage('remove one method (--totp or --yubikey), or every one (no flag)');
      return { verb: 'remove', method: values.totp ? 'totp' : values.yubikey ? 'yubikey' : undefined };
    }
    default:
      throw usage(verb ? `unknown otp command "${verb}"` : 'which otp command?');
  }
}

/**
 * `ask` is the terminal/askpass prompt, `askTerminal` the terminal-only one (the code that
 * confirms a first enrolment); tests pass their own.
 */
export async function run(opts: OtpOptions, io: CommandIO, ask: SecretPrompt = askForSecret, askTerminal: SecretPrompt = askOnTerminal): Promise<number> {
  const agent = io.agent();
  switch (opts.verb) {
    case 'status': {
      const s = await agent.call<OtpStatusResponse>('GET', '/v1/otp/status');
      io.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : renderOtpStatus(s));
      return EXIT.ok;
    }
    case 'remove': {
      const send = (otp?: OtpEnrollRequest['otp']) => agent.call<OtpRemoveResponse>('POST', '/v1/otp/remove', dropUndefined({ method: opts.method, otp }));
      const r = await withOtp(io, send, ask);
      io.stderr.write(`Removed: ${r.removed.join(', ')}.${opts.method ? '' : ' Privileged requests are refused until a method is enrolled again.'}\n`);
      return EXIT.ok;
    }
    case 'enroll':
      return enroll(opts.settings, io, ask, askTerminal);
  }
}

async function enroll(settings: OtpEnrollRequest, io: CommandIO, ask: SecretPrompt, askTerminal: SecretPrompt): Promise<number> {
  const agent = io.agent();
  const call = (body: OtpEnrollRequest) => agent.call<OtpEnrollResponse>('POST', '/v1/otp/enroll', body);
  const started = await withOtp(io, (otp) => call(otp ? { ...settings, otp } : settings), ask);
  if (started.status !== 'pending') throw new AuthctlError('internal', 'the agent did not start the enrolment');
  let question: string;
  if (started.uri && started.secret) {
    const qr = await renderQr(started.uri);
    io.stdout.write(
      (qr ? `Scan this QR code with your authenticator app:\n${qr}\n` : '(No QR code: the qrcode package is not installed.)\n') +
        `Or add this URI: ${started.uri}\nOr type in this secret: ${started.secret}\n`,
    );
    question = 'Enter the code your authenticator app shows now, to finish enrolling: ';
  } else {
    question = 'Touch your YubiKey (cursor here) to finish enrolling: ';
  }
  // Whoever confirms the first method holds the gate: that code comes from the terminal alone.
  const askCode = started.first ? askTerminal : ask;
  for (let notice = '';;) {
    const code = (await askCode(notice + question, io.env, started.expiresAt * 1000)).replace(/\s+/g, '');
    try {
      const done = await call({ method: settings.method, enrollmentId: started.enrollmentId, code });
      if (done.status !== 'enrolled') throw new AuthctlError('internal', 'the agent did not finish the enrolment');
      const what = done.method === 'totp' ? 'TOTP' : `YubiKey ${done.publicId ?? ''}`.trim();
      io.stderr.write(`Enrolled ${what}. Privileged requests now need a one-time password from it.\n`);
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof AuthctlError) || e.code !== 'otp_invalid' || !((e.details.attemptsLeft as number) > 0)) throw e;
      notice = `${e.message}\n`;
    }
  }
}

export function renderOtpStatus(s: OtpStatusResponse): string {
  const when = (t?: number) => (t ? new Date(t * 1000).toISOString() : 'never');
  const lines = [`storage: ${s.storage}`];
  if (s.warning) lines.push(`WARNING: ${s.warning}`);
  if (!s.methods.length) lines.push('no one-time password method is enrolled: privileged requests are refused (enrol with `authctl otp enroll --totp`)');
  for (const m of s.methods) {
    const label = m.method === 'totp' ? 'totp' : `yubikey (${m.mode}, public id ${m.publicId})`;
    lines.push(`${label}: enrolled ${when(m.enrolledAt)}, last used ${when(m.lastUsedAt)}`);
  }
  if (s.lockedUntil) lines.push(`locked out after wrong codes until ${when(s.lockedUntil)}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  return run(parseOtpArgs(argv), io);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
