/**
 * Opens a URL in the user's browser, unless this is an SSH session or there is no display.
 * Only URLs a browser may safely be handed are opened (DESIGN.md, "the login ladder"):
 * https, or plain http to this machine when the provider itself is on this machine (the
 * test IdP, the demo). Anything else (file:, javascript:, a custom scheme that starts a
 * program, http to another host) is printed for the person to judge, never opened.
 */
import { spawn } from 'node:child_process';
import { isLoopbackHost } from '../shared/config.js';

export function shouldOpenBrowser(env: Record<string, string | undefined>, platform = process.platform): boolean {
  return whyNoBrowser(env, platform) === undefined;
}

/**
 * Why no browser can be opened here, for the one line people see (and the agent's choice of
 * flow), or undefined when one can: inside an SSH session the browser would open on the
 * remote machine's display, not the user's; on Linux without a display there is none.
 */
export function whyNoBrowser(env: Record<string, string | undefined>, platform = process.platform): string | undefined {
  const ssh = Boolean(env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT);
  const display = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  if (ssh) return display ? 'SSH session' : 'SSH session without a display';
  if (env.AUTHCTL_BROWSER || env.BROWSER) return undefined;
  if ((platform === 'linux' || platform === 'freebsd') && !display) return 'no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return undefined;
}

/**
 * The URL to hand to a browser, in its parsed form (control characters percent-encoded),
 * or why it must not be opened. `issuer` is the provider the agent logged in to.
 */
export function openableUrl(raw: string, issuer: string | undefined): { url: string } | { refused: string } {
  const url = URL.parse(raw);
  if (!url) return { refused: 'it is not a URL' };
  if (url.protocol === 'https:') return { url: url.href };
  if (url.protocol === 'http:') {
    const issuerUrl = issuer ? URL.parse(issuer) : null;
    const localIssuer = issuerUrl !== null && isLoopbackHost(issuerUrl.hostname);
    if (isLoopbackHost(url.hostname) && localIssuer) return { url: url.href };
    return { refused: 'it is plain http (only https is opened, or http to this machine for a provider on this machine)' };
  }
  return { refused: `its scheme "${url.protocol}" is not https` };
}

/** AUTHCTL_BROWSER, else BROWSER, else the platform's opener; run directly (never a shell) with the URL last. */
export function openBrowser(url: string, env: Record<string, string | undefined>, platform = process.platform): void {
  const chosen = env.AUTHCTL_BROWSER || env.BROWSER;
  const [cmd, args] = chosen
    ? [chosen, [url]]
    : platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser: the URL is printed anyway.
  }
}
