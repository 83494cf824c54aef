/**
 * The device flow of a login, RFC 8628 §3.1–3.5, as the login stream sees it: start the
 * authorization, announce the code (the `verification` event), report the poll interval
 * (`waiting`), and poll until the user decides. The ordinary login and the privileged
 * sign-in (`separateGrant`) differ only in their parameters and in what they do with the
 * tokens, so they share this one step.
 */
import type * as oidc from 'openid-client';
import type { LoginEvent } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import type { Redactor } from '../log.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { loginPollObserver } from '../broker/login-observer.js';

export interface DeviceFlowDeps {
  oauth: OAuthEngine;
  redactor: Redactor;
  now: () => number;
}

export interface DeviceFlowInput {
  profile: ResolvedProfile;
  params: TokenParams;
  /** Sent with the device authorization request (the profile's own, plus e.g. prompt=login). */
  extraParams?: Record<string, string>;
  /** Added to the `verification` event (e.g. the file-storage warning). */
  announce?: Partial<Extract<LoginEvent, { event: 'verification' }>>;
}

/** Runs the device flow to its token answer; the Configuration used is returned for the token endpoint it names. */
export async function runDeviceFlow(
  deps: DeviceFlowDeps,
  input: DeviceFlowInput,
  emit: (e: LoginEvent) => void,
  signal: AbortSignal,
): Promise<{ set: TokenSet; config: oidc.Configuration }> {
  const { oauth, redactor, now } = deps;
  const { profile, params } = input;
  const observer = loginPollObserver(oauth, (interval) => emit({ event: 'waiting', interval }));
  const config = await oauth.configFor(profile, observer.fetch);
  const device = await oauth.startDeviceAuthorization(config, { ...params, extraParams: input.extraParams ?? profile.extraParams });
  redactor.add(device.deviceCode);
  observer.start(device.interval);
  emit({
    event: 'verification',
    profile: profile.name,
    issuer: profile.issuer,
    userCode: device.userCode,
    verificationUri: device.verificationUri,
    verificationUriComplete: device.verificationUriComplete,
    expiresAt: Math.floor(now() / 1000) + device.expiresIn,
    ...input.announce,
  });
  emit({ event: 'waiting', interval: device.interval });
  const set = await oauth.pollDeviceToken(config, device, signal, params);
  return { set, config };
}
