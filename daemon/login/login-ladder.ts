/**
 * The login ladder (DESIGN.md): choose the flow (shared/login-flow.ts), say which and why
 * (the `flow` event), run it, and on `--flow auto` fall back from a browser flow that cannot
 * finish to device flow in the same stream (the `fallback` event says why). The broker gets
 * the provider's token answer either way and does the rest exactly once.
 */
import type * as oidc from 'openid-client';
import type { LoginEvent, LoginRequest } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { chooseLoginFlow } from '../../shared/login-flow.js';
import type { Redactor } from '../log.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { BrowserFlowUnfinished, DEFAULT_BROWSER_FLOW_TIMEOUT_MS, runBrowserFlow } from './browser-flow.js';
import { runDeviceFlow } from './device-flow.js';

export interface LoginLadderDeps {
  oauth: OAuthEngine;
  redactor: Redactor;
  now: () => number;
  browserFlowTimeoutMs?: number;
}

export interface LoginLadderInput {
  profile: ResolvedProfile;
  params: TokenParams;
  req: LoginRequest;
  viaForwarding: boolean;
  /** Added to the `authorize` / `verification` event (the file-storage warning). */
  announce: { storageWarning?: string };
}

export async function obtainLoginGrant(
  deps: LoginLadderDeps,
  input: LoginLadderInput,
  emit: (e: LoginEvent) => void,
  signal: AbortSignal,
): Promise<{ set: TokenSet; config: oidc.Configuration }> {
  const { profile, params, req } = input;
  const server = (await deps.oauth.configFor(profile)).serverMetadata();
  const choice = chooseLoginFlow({
    requested: req.flow,
    profileFlow: profile.flow,
    provider: profile.provider,
    clientCanOpenBrowser: req.canOpenBrowser ?? false,
    noBrowserReason: req.noBrowserReason,
    viaForwarding: input.viaForwarding,
    hasAuthorizationEndpoint: typeof server.authorization_endpoint === 'string',
  });
  if (choice.refused) throw new AuthctlError('usage', choice.refused);
  emit({ event: 'flow', flow: choice.flow, reason: choice.reason });
  const device = (stop: AbortSignal) =>
    runDeviceFlow(deps, { profile, params, announce: { clientId: profile.clientId, ...input.announce } }, emit, stop);
  if (choice.flow === 'device') return device(signal);
  const canFallBack = choice.fallback && Boolean(server.device_authorization_endpoint);
  const refusal = (e: Error) =>
    new AuthctlError('login_required', `the browser login did not finish: ${e.message}; to log in with a code instead, run \`authctl login${req.profile ? ` --profile ${req.profile}` : ''} --flow device\``);
  return browserThenDevice(
    (stop, onSlow) => runBrowserFlow(deps, { profile, params, timeoutMs: deps.browserFlowTimeoutMs ?? DEFAULT_BROWSER_FLOW_TIMEOUT_MS, announce: input.announce, onSlow }, emit, stop),
    canFallBack ? device : undefined,
    (reason) => emit({ event: 'fallback', from: 'browser', to: 'device', reason }),
    refusal,
    signal,
  );
}

type Grant = { set: TokenSet; config: oidc.Configuration };

/**
 * The browser flow, and device flow beside it once the browser is slow (its listener keeps
 * waiting) or instead of it once the browser flow cannot finish. The first to get tokens
 * wins and stops the other; the login fails only when every flow started has failed.
 */
function browserThenDevice(
  browser: (stop: AbortSignal, onSlow?: (reason: string) => void) => Promise<Grant>,
  device: ((stop: AbortSignal) => Promise<Grant>) | undefined,
  announceFallback: (reason: string) => void,
  refusal: (e: Error) => Error,
  signal: AbortSignal,
): Promise<Grant> {
  const race = new AbortController();
  const stop = AbortSignal.any([signal, race.signal]);
  return new Promise<Grant>((resolve, reject) => {
    let settled = false;
    let running = 1;
    let deviceStarted = false;
    const win = (g: Grant) => {
      if (settled) return;
      settled = true;
      race.abort();
      resolve(g);
    };
    const lose = (e: unknown) => {
      running -= 1;
      if (settled || running > 0) return;
      settled = true;
      race.abort();
      reject(e);
    };
    const startDevice = (reason: string) => {
      if (deviceStarted || !device || settled) return;
      deviceStarted = true;
      running += 1;
      announceFallback(reason);
      device(stop).then(win, lose);
    };
    browser(stop, device ? startDevice : undefined).then(win, (e: unknown) => {
      if (e instanceof BrowserFlowUnfinished && !deviceStarted) {
        if (device) startDevice(e.message);
        return lose(device ? e : refusal(e));
      }
      lose(e);
    });
  });
}
