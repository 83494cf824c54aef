/**
 * What a person sees during `authctl login`, event by event: the browser flow's URL (opened
 * and printed), the fallback line, the device flow's who-is-asking lines, code, QR code and
 * gh's press-Enter handshake, the countdown, and the file-storage warning once.
 */
import type { LoginEvent } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { processPathEnv, userConfigFile } from '../../../shared/paths.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import { openableUrl, openBrowser } from '../../browser.js';
import type { CommandIO } from '../../io.js';
import { styleFor } from '../../style.js';
import { renderQr } from '../otp/qr.js';
import { EnterToOpen } from './handshake.js';
import type { LoginOptions } from './login.js';

/** What the person sees during a login: one place that remembers what was already said. */
export class LoginScreen {
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
      case 'step':
        // --verbose: the agent's steps, from the agent (shown without control characters).
        if (!opts.json) io.stderr.write(`${io.stderrIsTTY ? '\r\x1b[K' : ''}authctl: agent: ${terminalSafe(ev.message)}\n`);
        return undefined;
      case 'success': {
        this.stop();
        const style = styleFor(io.stderr, io.env);
        if (ev.warning) io.stderr.write(style.warn(`${terminalSafe(ev.warning)}\n`));
        if (!opts.json) {
          const who = `profile "${terminalSafe(ev.profile)}"${ev.subject ? ` as ${terminalSafe(ev.subject)}` : ''}`;
          if (ev.privilegedUntil) {
            const until = new Date(ev.privilegedUntil * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
            io.stderr.write(style.ok(`Privileged sign-in for ${who}, held in the agent's memory until ${until}.\n`));
          } else io.stderr.write(style.ok(`Logged in to ${who}.\n`));
          this.warnStorage(ev.storageWarning);
          if (ev.sessionNote) io.stderr.write(`Note: ${terminalSafe(ev.sessionNote)}\n`);
        }
        return EXIT.ok;
      }
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
