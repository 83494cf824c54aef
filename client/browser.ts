/** Opens a URL in the user's browser, unless this is an SSH session or there is no display. */
import { spawn } from 'node:child_process';

export function shouldOpenBrowser(env: Record<string, string | undefined>, platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT) return false;
  if (env.BROWSER) return true;
  if (platform === 'linux' || platform === 'freebsd') return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  return true;
}

export function openBrowser(url: string, env: Record<string, string | undefined>, platform = process.platform): void {
  const [cmd, args] = env.BROWSER
    ? [env.BROWSER, [url]]
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
