/**
 * The token request of the git and kube helpers: ask the agent, and when it says
 * login_required and the caller may prompt (a person at a terminal, prompts not disabled),
 * run the device-flow login on stderr once, then ask again. When the caller may not
 * prompt, the error goes back untouched, so the helper can exit quietly.
 */
import { openSync, closeSync } from 'node:fs';
import type { TokenRequest, TokenResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { CommandIO } from '../io.js';
import { terminalSafe } from '../../shared/terminal-text.js';

export async function tokenOrLogin(io: CommandIO, req: TokenRequest, mayPrompt: () => boolean): Promise<TokenResponse> {
  try {
    return await io.agent().call<TokenResponse>('POST', '/v1/token', req);
  } catch (e) {
    if (!(e instanceof AuthctlError) || e.code !== 'login_required' || !mayPrompt()) throw e;
    io.stderr.write(`authctl: ${terminalSafe(e.message.split(':')[0])}; starting a login.\n`);
  }
  // Loaded only here: the login command pulls in the config writer and the browser opener.
  const login = await import('../commands/login/login.js');
  await login.run({ profile: req.profile, scopes: [], noBrowser: false, json: false }, io);
  return io.agent().call<TokenResponse>('POST', '/v1/token', req);
}

/** A person can see a login prompt: there is a controlling terminal. */
export function hasTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}
