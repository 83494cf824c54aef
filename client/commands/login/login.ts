/**
 * `authctl login`: the agent runs the login (the browser flow, RFC 8252, or the device flow,
 * RFC 8628; shared/login-flow.ts chooses); this opens the browser on the user's display and
 * prints the URL, or prints the code (after who is asking) with a QR code and gh's
 * press-Enter handshake, and returns when the agent reports success. `--json` prints the
 * agent's events on stdout, the first of them the flow chosen and why.
 */
import { parseCommandArgs } from '../../cli/parse.js';
import { LOGIN_SPEC } from './spec.js';
import type { LoginRequest, ProfileStatus, StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { logDir, processPathEnv } from '../../../shared/paths.js';
import { whyNoBrowser } from '../../browser.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import type { CommandIO } from '../../io.js';
import { openLoginStream } from '../../login-stream.js';
import { saveProfile } from '../../profile-config.js';
import { LoginScreen } from './screen.js';

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
  const interactive = opts.interactive ?? (io.stderrIsTTY && Boolean((io.stdin as { isTTY?: boolean }).isTTY));
  if (interactive && !opts.issuer && !opts.privileged && !opts.json && !(await confirmStartOver(opts, io))) return EXIT.ok;
  const noBrowser = opts.noBrowser ? '--no-browser' : whyNoBrowser(io.env);
  const body: LoginRequest = { profile: opts.profile, canOpenBrowser: !noBrowser, ...(noBrowser ? { noBrowserReason: noBrowser } : {}) };
  if (opts.flow && opts.flow !== 'auto') body.flow = opts.flow;
  if (opts.scopes.length && !opts.issuer) body.scopes = opts.scopes;
  if (opts.audience && !opts.issuer) body.audience = opts.audience;
  if (opts.privileged) body.privileged = true;
  if (opts.verbose) body.verbose = true;
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

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(LOGIN_SPEC, argv);
  const flow = values.flow;
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
