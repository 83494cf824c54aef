import { describe, expect, it } from 'vitest';
import { agentEnvironment } from './autostart.js';

describe('the environment an autostarted agent gets', () => {
  it('keeps paths, keychain, locale and proxy variables; drops every NODE_* and anything unlisted', () => {
    const env = agentEnvironment(
      {
        HOME: '/home/u',
        USER: 'u',
        PATH: '/usr/bin',
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        XDG_RUNTIME_DIR: '/run/user/1000',
        DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
        HTTPS_PROXY: 'http://proxy:3128',
        NO_PROXY: 'localhost',
        AUTHCTL_SYSTEM_CONFIG: '/extra.json',
        NODE_OPTIONS: '--inspect=0',
        NODE_TLS_REJECT_UNAUTHORIZED: '0',
        NODE_EXTRA_CA_CERTS: '/tmp/evil.pem',
        NODE_DEBUG: 'net',
        LD_PRELOAD: '/tmp/evil.so',
        AUTHCTL_TOKEN: 'pat',
        SOMETHING_ELSE: 'x',
      },
      '/run/user/1000/authctl/agent.sock',
    );
    expect(env).toEqual({
      HOME: '/home/u',
      USER: 'u',
      PATH: '/usr/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      XDG_RUNTIME_DIR: '/run/user/1000',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
      HTTPS_PROXY: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      AUTHCTL_SYSTEM_CONFIG: '/extra.json',
      AUTHCTL_SOCK: '/run/user/1000/authctl/agent.sock',
    });
  });
});
