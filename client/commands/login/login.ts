/**
 * `authctl login`: the agent runs the device flow (RFC 8628); this prints the code and
 * the URL on stderr, opens a browser when it makes sense, counts down on a terminal, and
 * returns when the agent reports success. `--json` prints the agent's events on stdout.
 */
import { parseArgs } from 'node:util';
import type { LoginEvent, LoginRequest } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { openableUrl, openBrowser, shouldOpenBrowser } from '../../browser.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import type { CommandIO } from '../../io.js';
import { openLoginStream } from '../../login-stream.js';
import { saveProfile } from '../../profile-config.js';

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
  /** Print the agent's steps (provider calls, retries) on stderr. */
  verbose?: boolean;
}

export async function run(opts: LoginOptions, io: CommandIO, signal?: AbortSignal): Promise<number> {
  if (Boolean(opts.issuer) !== Boolean(opts.clientId)) throw new AuthctlError('usage', '--issuer and --client-id go together');
  if (opts.privileged && (opts.issuer || opts.scopes.length || opts.audience)) {
    throw new AuthctlError('usage', '--privileged logs in for the profile\'s privileged scopes alone: give only --profile');
  }
  if (opts.issuer) {
    const name = opts.profile ?? 'default';
    await saveProfile(io, name, { issuer: opts.issuer, clientId: opts.clientId!, scopes: opts.scopes.length ? opts.scopes : ['openid', 'offline_access'], audience: opts.audience });
    opts = { ...opts, profile: name };
  }
  const body: LoginRequest = { profile: opts.profile };
  if (opts.scopes.length && !opts.issuer) body.scopes = opts.scopes;
  if (opts.audience && !opts.issuer) body.audience = opts.audience;
  if (opts.privileged) body.privileged = true;
  if (opts.verbose) body.verbose = true;
  const stream = await openLoginStream(io.agent(), body);
  const onAbort = () => stream.cancel();
  signal?.addEventListener('abort', onAbort);
  const countdown = new Countdown(io);
  try {
    for await (const ev of stream.events) {
      if (opts.json) io.stdout.write(JSON.stringify(ev) + '\n');
      const done = handleEvent(ev, opts, io, countdown);
      if (done !== undefined) return done;
    }
  } catch (e) {
    if (signal?.aborted) throw new AuthctlError('cancelled', 'login cancelled');
    if (e instanceof AuthctlError) throw e;
    throw new AuthctlError('agent_unavailable', 'the agent closed the login stream');
  } finally {
    countdown.stop();
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new AuthctlError('cancelled', 'login cancelled');
  throw new AuthctlError('agent_unavailable', 'the agent ended the login without an answer');
}

function handleEvent(ev: LoginEvent, opts: LoginOptions, io: CommandIO, countdown: Countdown): number | undefined {
  switch (ev.event) {
    case 'verification': {
      // The code and the URLs come from the provider: printed without control characters.
      if (ev.storageWarning) io.stderr.write(`WARNING: ${terminalSafe(ev.storageWarning)}\n`);
      io.stderr.write(`\nFirst copy your one-time code: ${terminalSafe(ev.userCode)}\n`);
      io.stderr.write(`Then open ${terminalSafe(ev.verificationUri)} in a browser and enter it.\n`);
      if (ev.verificationUriComplete) io.stderr.write(`(or open ${terminalSafe(ev.verificationUriComplete)} to skip typing the code)\n`);
      if (!opts.noBrowser && !opts.json && shouldOpenBrowser(io.env)) openVerificationPage(ev, io);
      countdown.start(ev.expiresAt);
      return undefined;
    }
    case 'waiting':
      return undefined;
    case 'step':
      if (!opts.json) io.stderr.write(`${io.stderrIsTTY ? '\r\x1b[K' : ''}authctl: agent: ${terminalSafe(ev.message)}\n`);
      return undefined;
    case 'success':
      countdown.stop();
      if (ev.warning) io.stderr.write(`WARNING: ${ev.warning}\n`);
      if (!opts.json) {
        const who = `profile "${terminalSafe(ev.profile)}"${ev.subject ? ` as ${terminalSafe(ev.subject)}` : ''}`;
        if (ev.privilegedUntil) {
          const until = new Date(ev.privilegedUntil * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
          io.stderr.write(`Privileged sign-in for ${who}, held in the agent's memory until ${until}.\n`);
        } else io.stderr.write(`Logged in to ${who}.\n`);
        if (ev.storageWarning) io.stderr.write(`WARNING: ${terminalSafe(ev.storageWarning)}\n`);
        if (ev.sessionNote) io.stderr.write(`Note: ${terminalSafe(ev.sessionNote)}\n`);
      }
      return EXIT.ok;
    case 'error':
      countdown.stop();
      throw new AuthctlError(ev.error, ev.message);
  }
}

/** Opens the page with the code filled in (else the plain one), if the browser may be handed it at all. */
function openVerificationPage(ev: Extract<LoginEvent, { event: 'verification' }>, io: CommandIO): void {
  const candidates = [ev.verificationUriComplete, ev.verificationUri].filter((u): u is string => Boolean(u));
  const checked = candidates.map((u) => openableUrl(u, ev.issuer));
  const ok = checked.find((c): c is { url: string } => 'url' in c);
  if (ok) {
    io.stderr.write('Opening your browser...\n');
    openBrowser(ok.url, io.env);
    return;
  }
  const why = (checked[0] as { refused: string }).refused;
  io.stderr.write(`WARNING: not opening the provider's page in a browser: ${why}. Open the address above yourself only if you trust it.\n`);
}

/** A one-line countdown to the code's expiry, only on a terminal. */
class Countdown {
  private timer?: NodeJS.Timeout;
  constructor(private readonly io: CommandIO) {}

  start(expiresAt: number): void {
    if (!this.io.stderrIsTTY) return;
    const tick = () => {
      const left = Math.max(0, expiresAt - Math.floor(Date.now() / 1000));
      this.io.stderr.write(`\rWaiting for approval... the code expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} `);
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
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
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
        verbose: values.verbose,
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
