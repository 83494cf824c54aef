import { describe, expect, it } from 'vitest';
import { openableUrl, whyNoBrowser } from './browser.js';

const REMOTE = 'https://idp.example.com';
const LOCAL = 'http://127.0.0.1:8080';

describe('which URLs the CLI hands to a browser', () => {
  it('https always, in its parsed form (control characters percent-encoded)', () => {
    expect(openableUrl('https://idp.example.com/device?user_code=AB', REMOTE)).toEqual({ url: 'https://idp.example.com/device?user_code=AB' });
    expect(openableUrl('https://idp.example.com/d\x1b[2J', REMOTE)).toEqual({ url: 'https://idp.example.com/d%1B[2J' });
  });

  it('plain http only to this machine, and only for a provider on this machine', () => {
    expect(openableUrl('http://127.0.0.1:8080/device', LOCAL)).toEqual({ url: 'http://127.0.0.1:8080/device' });
    expect(openableUrl('http://localhost:9/device', LOCAL)).toEqual({ url: 'http://localhost:9/device' });
    expect(openableUrl('http://127.0.0.1:8080/device', REMOTE)).toHaveProperty('refused');
    expect(openableUrl('http://127.0.0.1:8080/device', undefined)).toHaveProperty('refused');
    expect(openableUrl('http://idp.invalid/device', LOCAL)).toHaveProperty('refused');
  });

  it('never another scheme, nor something that is not a URL', () => {
    for (const raw of ['file:///etc/passwd', 'javascript:alert(1)', 'ms-settings:', 'x-terminal-emulator://run', 'not a url', '-–help'])
      expect(openableUrl(raw, LOCAL), raw).toHaveProperty('refused');
  });
});

describe('whether a browser can be opened here (and why not, in one line)', () => {
  it('not in an SSH session, whatever BROWSER says; the reason names a missing display', () => {
    expect(whyNoBrowser({ SSH_CONNECTION: '1 2 3 4', BROWSER: 'firefox' }, 'linux')).toBe('SSH session without a display');
    expect(whyNoBrowser({ SSH_TTY: '/dev/pts/1', DISPLAY: ':10' }, 'darwin')).toBe('SSH session');
  });
  it('on Linux only with a display or a chosen browser; elsewhere always', () => {
    expect(whyNoBrowser({}, 'linux')).toMatch(/no display/);
    expect(whyNoBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBeUndefined();
    expect(whyNoBrowser({ AUTHCTL_BROWSER: '/usr/bin/true' }, 'linux')).toBeUndefined();
    expect(whyNoBrowser({}, 'darwin')).toBeUndefined();
  });
});
