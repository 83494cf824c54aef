/**
 * `authctl login`: the agent runs the login (the browser flow, RFC 8252, or the device flow,
 * RFC 8628; shared/login-flow.ts chooses); this opens the browser on the user's display and
 * prints the URL, or prints the code (after who is asking) with a QR code and gh's
 * press-Enter handshake, and returns when the agent reports success. `--json` prints the
 * agent's events on stdout, the first of them the flow chosen and why.
 */
import { parseArgs } from 'node:util';
import type { LoginEvent, LoginRequest, ProfileStatus, StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { logDir, processPathEnv, userConfigFile } from '../../../shared/paths.js';
import { openableUrl, openBrowser, whyNoBrowser } from '../../browser.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import type { CommandIO } from '../../io.js';
import { openLoginStream } from '../../login-stream.js';
import { saveProfile } from '../../profile-config.js';
import { renderQr } from '../otp/qr.js';
import { EnterToOpen } from './handshake.js';

export interface LoginOptions {
  profile?: string;
  issuer?: string;
  clientId?: string;
  scopes: string[];
  audience?: string;
  noBrowser: boolean;
  json: boolean;
  /** The second login of a `separateGrant` profile: just its privileged scopes, kept in agent memory. */
  privileged?: boolean;
  /** `--flow` (default auto: the agent decides with what this machine can do). */
  flow?: 'auto' | 'browser' | 'device';
  /** `--no-qr`: no QR code of the verification URL on a terminal. */
  noQr?: boolean;
  /** `--web`: open the browser at once instead of asking for Enter first. */
  web?: boolean;
  /** Terminal questions (start over?) are asked on stdin; tests set it. Default: stdin and stderr are terminals. */
  interactive?: boolean;
}

const FLOWS = ['auto', 'browser', 'device'] as const;

export async function run(opts: LoginOptions, io: CommandIO, signal?: AbortSignal): Promise<number> {
  if (Boolean(opts.issuer) !== Boolean(opts.clientId)) throw new AuthctlError('usage', '--issuer and --client-id go together');
  if (opts.privileged && (opts.issuer || opts.scopes.length || opts.audience)) {
    throw new AuthctlError('usage', '--privileged logs in for the profile\'s privileged scopes alone: give only --profile');
  }
  if (opts.issuer) {
    const name = opts.profile ?? 'default';
    await saveProfile(io.env, name, { issuer: opts.issuer, clientId: opts.clientId!, scopes: opts.scopes.length ? opts.scopes : ['openid', 'offline_access'], audience: opts.audience });
    opts = { ...opts, profile: name };
    io.stderr.write(`Saved profile "${name}" (${opts.issuer}).\n`);
  }
  const interactive = opts.interactive ?? (io.stderrIsTTY && Boolean((io.stdin as { isTTY?: boolean }).isTTY));
  if (interactive && !opts.issuer && !opts.privileged && !opts.json && !(await confirmStartOver(opts, io))) return EXIT.ok;
  const noBrowser = opts.noBrowser ? '--no-browser' : whyNoBrowser(io.env);
  const body: LoginRequest = { profile: opts.profile, canOpenBrowser: !noBrowser, ...(noBrowser ? { noBrowserReason: noBrowser } : {}) };
  if (opts.flow && opts.flow !== 'auto') body.flow = opts.flow;
  if (opts.scopes.length && !opts.issuer) body.scopes = opts.scopes;
  if (opts.audience && !opts.issuer) body.audience = opts.audience;
  if (opts.privileged) body.privileged = true;
  const stream = await openLoginStream(io.agent(), body);
  const onAbort = () => stream.cancel();
  signal?.addEventListener('abort', onAbort);
  const ui = new LoginScreen(opts, io, interactive, noBrowser);
  try {
    for await (const ev of stream.events) {
      if (opts.json) io.stdout.write(JSON.stringify(ev) + '\n');
      const done = await ui.handle(ev);
      if (done !== undefined) return done;
    }
  } catch (e) {
    if (signal?.aborted) throw new AuthctlError('cancelled', 'login cancelled');
    if (e instanceof AuthctlError) throw e;
    throw new AuthctlError('agent_unavailable', `the agent closed the login stream: see its log in ${logDir(processPathEnv(io.env))}`);
  } finally {
    ui.stop();
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new AuthctlError('cancelled', 'login cancelled');
  throw new AuthctlError('agent_unavailable', `the agent ended the login without an answer: see its log in ${logDir(processPathEnv(io.env))}`);
}

/** On a terminal, a login for a profile that is logged in asks before starting over (gh does). */
async function confirmStartOver(opts: LoginOptions, io: CommandIO): Promise<boolean> {
  let profile: ProfileStatus | undefined;
  try {
    const status = await io.agent().call<StatusResponse>('GET', '/v1/status');
    profile = status.profiles.find((p) => (opts.profile ? p.name === opts.profile : p.name === status.defaultProfile));
  } catch {
    return true; // the login itself reports what is wrong
  }
  if (profile?.state !== 'logged_in') return true;
  const who = profile.subject ? ` as ${terminalSafe(profile.subject)}` : '';
  io.stderr.write(`Profile "${terminalSafe(profile.name)}" is already logged in${who}. Log in again? [y/N] `);
  const answer = await readLine(io);
  if (/^y(es)?$/i.test(answer.trim())) return true;
  io.stderr.write('Keeping the current session.\n');
  return false;
}

function readLine(io: CommandIO): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer | string) => {
      got += d.toString();
      if (got.includes('\n')) done();
    };
    const done = () => {
      io.stdin.off('data', onData);
      io.stdin.off('end', done);
      io.stdin.pause();
      resolve(got.split('\n')[0] ?? '');
    };
    io.stdin.on('data', onData);
    io.stdin.once('end', done);
    io.stdin.resume();
  });
}

/** What the person sees during a login: one place that remembers what was already said. */
class LoginScreen {
  private readonly countdown: Countdown;
  private readonly enter = new EnterToOpen();
  private storageWarned = false;

  constructor(
    private readonly opts: LoginOptions,
    private readonly io: CommandIO,
    private readonly interactive: boolean,
    /** Why no browser may be opened here, or undefined. */
    private readonly noBrowser: string | undefined,
  ) {
    this.countdown = new Countdown(io);
  }

  stop(): void {
    this.countdown.stop();
    this.enter.stop();
  }

  async handle(ev: LoginEvent): Promise<number | undefined> {
    const { io, opts } = this;
    // For people, on stderr, also with --json (whose stdout carries only the events).
    const say = (line: string) => io.stderr.write(line + '\n');
    switch (ev.event) {
      case 'flow':
        return undefined; // --json reports it; people see the flow itself

      case 'authorize':
        this.announceBrowser(ev, say);
        return undefined;
      case 'fallback':
        this.countdown.stop();
        say(`The browser login did not finish (${terminalSafe(ev.reason)}): continuing with a one-time code instead.`);
        return undefined;
      case 'verification':
        await this.announceDevice(ev, say);
        return undefined;
      case 'waiting':
        return undefined;
      case 'success':
        this.stop();
        if (ev.warning) io.stderr.write(`WARNING: ${ev.warning}\n`);
        if (!opts.json) {
          const who = `profile "${terminalSafe(ev.profile)}"${ev.subject ? ` as ${terminalSafe(ev.subject)}` : ''}`;
          if (ev.privilegedUntil) {
            const until = new Date(ev.privilegedUntil * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
            io.stderr.write(`Privileged sign-in for ${who}, held in the agent's memory until ${until}.\n`);
          } else io.stderr.write(`Logged in to ${who}.\n`);
          this.warnStorage(ev.storageWarning);
          if (ev.sessionNote) io.stderr.write(`Note: ${terminalSafe(ev.sessionNote)}\n`);
        }
        return EXIT.ok;
      case 'error':
        this.stop();
        throw new AuthctlError(ev.error, ev.message);
    }
  }

  /** The file-storage warning, once per login, with the two ways out. */
  private warnStorage(warning: string | undefined): void {
    if (!warning || this.storageWarned) return;
    this.storageWarned = true;
    const config = userConfigFile(processPathEnv(this.io.env));
    this.io.stderr.write(
      `WARNING: ${terminalSafe(warning)}.\n  For the keychain, run a Secret Service in your session (e.g. gnome-keyring); to keep the file, set "storage": "file" in ${config}, which silences this.\n`,
    );
  }

  private announceBrowser(ev: Extract<LoginEvent, { event: 'authorize' }>, say: (l: string) => void): void {
    const { io, opts } = this;
    const host = hostOf(ev.issuer);
    const checked = openableUrl(ev.url, ev.issuer);
    if ('refused' in checked) {
      say(`Not opening the sign-in page in a browser: ${checked.refused}. Open this address yourself only if you trust it:\n  ${terminalSafe(ev.url)}`);
    } else if (this.noBrowser) {
      say(`No browser will be opened (${this.noBrowser}). Open this address in a browser to sign in at ${host}:\n  ${terminalSafe(checked.url)}`);
    } else {
      say(`Opening your browser to sign in at ${host}. If it does not open, visit:\n  ${terminalSafe(checked.url)}`);
      openBrowser(checked.url, io.env);
    }
    if (!opts.json) this.countdown.start(ev.expiresAt, 'Waiting for the browser sign-in...');
  }

  private async announceDevice(ev: Extract<LoginEvent, { event: 'verification' }>, say: (l: string) => void): Promise<void> {
    const { io, opts } = this;
    const host = hostOf(ev.issuer ?? ev.verificationUri);
    const code = terminalSafe(ev.userCode);
    // Who is asking, before the code (device-code phishing: a code someone else started).
    say(`\nSigning in to ${host}${ev.clientId ? ` for the application ${terminalSafe(ev.clientId)}` : ''}.`);
    say('Only enter this code if you started this login just now.');
    say(`\nFirst copy your one-time code: ${code}`);
    say(`Then open ${terminalSafe(ev.verificationUri)} in a browser and enter it.`);
    if (ev.verificationUriComplete) say(`(or open ${terminalSafe(ev.verificationUriComplete)} to skip typing the code)`);
    if (!opts.json && !opts.noQr && io.stderrIsTTY && ev.verificationUriComplete) {
      const qr = await renderQr(ev.verificationUriComplete).catch(() => undefined);
      if (qr) io.stderr.write(`Or scan this with your phone:\n${qr}\n`);
    }
    if (!opts.json) this.offerBrowser(ev, host, code, say);
    this.countdown.start(ev.expiresAt, 'Waiting for approval... the code expires in');
  }

  /** gh's handshake: open now (--web, not interactive) or on Enter; or one line saying why not. */
  private offerBrowser(ev: Extract<LoginEvent, { event: 'verification' }>, host: string, code: string, say: (l: string) => void): void {
    if (this.noBrowser) {
      say(`No browser will be opened (${this.noBrowser}).`);
      return;
    }
    const candidates = [ev.verificationUriComplete, ev.verificationUri].filter((u): u is string => Boolean(u));
    const checked = candidates.map((u) => openableUrl(u, ev.issuer));
    const ok = checked.find((c): c is { url: string } => 'url' in c);
    if (!ok) {
      const why = (checked[0] as { refused: string }).refused;
      say(`WARNING: not opening the provider's page in a browser: ${why}. Open the address above yourself only if you trust it.`);
      return;
    }
    const prefilled = ok.url === candidates[0] && Boolean(ev.verificationUriComplete);
    const open = () => {
      this.io.stderr.write(`\r\x1b[KOpening ${host} in your browser...${prefilled ? ` check that the browser shows ${code}.` : ''}\n`);
      openBrowser(ok.url, this.io.env);
    };
    if (this.opts.web || !this.interactive) return open();
    say(`Press Enter to open ${host} in your browser...`);
    this.enter.start(this.io.stdin, open);
  }
}

function hostOf(url: string): string {
  return terminalSafe(URL.parse(url)?.host ?? url);
}

/** A one-line countdown to the code's expiry, only on a terminal. */
class Countdown {
  private timer?: NodeJS.Timeout;
  constructor(private readonly io: CommandIO) {}

  start(expiresAt: number, label: string): void {
    if (!this.io.stderrIsTTY) return;
    this.stop();
    const tick = () => {
      const left = Math.max(0, expiresAt - Math.floor(Date.now() / 1000));
      this.io.stderr.write(`\r${label} ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} `);
    };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.io.stderr.write('\r\x1b[K');
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', short: 'p' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string', multiple: true, short: 's' },
      audience: { type: 'string' },
      'no-browser': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      privileged: { type: 'boolean', default: false },
      flow: { type: 'string' },
      'no-qr': { type: 'boolean', default: false },
      web: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const flow = values.flow ?? 'auto';
  if (!(FLOWS as readonly string[]).includes(flow)) throw new AuthctlError('usage', `--flow "${flow}" is not a flow: use auto, browser or device (e.g. --flow device on a machine without a browser)`);
  if (values.web && values['no-browser']) throw new AuthctlError('usage', '--web opens the browser and --no-browser does not: give one of them');
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await run(
      {
        profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined),
        issuer: values.issuer,
        clientId: values['client-id'],
        scopes: (values.scope ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean),
        audience: values.audience,
        noBrowser: values['no-browser'],
        json: values.json,
        privileged: values.privileged,
        flow: flow as LoginOptions['flow'],
        noQr: values['no-qr'],
        web: values.web,
      },
      io,
      abort.signal,
    );
  } catch (e) {
    if (abort.signal.aborted) {
      io.stderr.write('\nLogin cancelled.\n');
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
