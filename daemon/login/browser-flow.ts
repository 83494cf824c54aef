/**
 * The browser flow of a login (authorization code + PKCE for a native app, RFC 8252): the
 * agent makes the one-time secrets, listens on the loopback interface, announces the
 * authorization URL (the `authorize` event; the CLI opens and prints it), waits for the one
 * callback with our `state`, and exchanges the code (RFC 6749 §4.1.3, RFC 7636 §4.5). What
 * follows (storage, events) is the broker's, exactly as after device flow.
 */
import type * as oidc from 'openid-client';
import type { LoginEvent } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { Redactor } from '../log.js';
import { buildAuthorizationUrl, createAuthorizationChecks } from '../oauth/authorization-code.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { startLoopbackListener } from './loopback-listener.js';

/** How long the agent waits for the browser before saying so (and, on `--flow auto`, using device flow). */
export const DEFAULT_BROWSER_FLOW_TIMEOUT_MS = 60_000;

export interface BrowserFlowDeps {
  oauth: OAuthEngine;
  redactor: Redactor;
  now: () => number;
}

export interface BrowserFlowInput {
  profile: ResolvedProfile;
  params: TokenParams;
  timeoutMs: number;
  /** Added to the `authorize` event (e.g. the file-storage warning). */
  announce?: Partial<Extract<LoginEvent, { event: 'authorize' }>>;
  /**
   * Called at the timeout instead of ending the flow: the listener keeps waiting (until
   * `signal` aborts), so a person still signing in (a slow MFA) can finish in the browser
   * while device flow runs beside it.
   */
  onSlow?: (reason: string) => void;
}

/**
 * The browser flow could not finish for a reason device flow may not share (no answer in
 * time, the provider refusing the redirect or the client): `--flow auto` falls back.
 */
export class BrowserFlowUnfinished extends Error {}

/** The provider's errors that say the user decided, not that the flow is unusable (RFC 6749 §4.1.2.1). */
const USER_DECISIONS = new Set(['access_denied', 'consent_required', 'login_required', 'interaction_required']);

export async function runBrowserFlow(
  deps: BrowserFlowDeps,
  input: BrowserFlowInput,
  emit: (e: LoginEvent) => void,
  signal: AbortSignal,
): Promise<{ set: TokenSet; config: oidc.Configuration }> {
  const { oauth, redactor, now } = deps;
  const { profile, params } = input;
  const config = await oauth.configFor(profile);
  const server = config.serverMetadata();
  const checks = createAuthorizationChecks(params.scopes);
  for (const secret of [checks.pkceVerifier, checks.state, checks.nonce]) if (secret) redactor.add(secret);
  const slow = `no answer from the browser within ${Math.round(input.timeoutMs / 1000)} s`;
  const stopListening = new AbortController();
  const listener = await startLoopbackListener({
    redirectUri: profile.redirectUri,
    state: checks.state,
    issuer: server.issuer,
    issRequired: server.authorization_response_iss_parameter_supported === true,
    signal: AbortSignal.any([signal, stopListening.signal]),
  }).catch((e: Error) => {
    throw new BrowserFlowUnfinished(e.message);
  });
  const url = await buildAuthorizationUrl(config, { redirectUri: listener.redirectUri, params, checks, extraParams: profile.extraParams, provider: profile.provider });
  emit({
    event: 'authorize',
    profile: profile.name,
    issuer: profile.issuer,
    url: url.href,
    redirectUri: listener.redirectUri,
    expiresAt: Math.floor((now() + input.timeoutMs) / 1000),
    ...input.announce,
  });
  const timer = setTimeout(() => (input.onSlow ? input.onSlow(slow) : stopListening.abort()), input.timeoutMs);
  let outcome;
  try {
    outcome = await listener.outcome.catch(() => {
      if (signal.aborted) throw new AuthctlError('cancelled', 'the login was cancelled');
      throw new BrowserFlowUnfinished(slow);
    });
  } finally {
    clearTimeout(timer);
  }
  switch (outcome.kind) {
    case 'issuer_mismatch':
      throw new AuthctlError(
        'idp_error',
        `refused the browser's answer: it ${outcome.got ? `names the issuer ${JSON.stringify(outcome.got.slice(0, 200))}` : 'names no issuer'}, not ${server.issuer} (RFC 9207); nothing was saved: run \`authctl login\` again`,
      );
    case 'error':
      if (USER_DECISIONS.has(outcome.error)) throw new AuthctlError('login_required', `the login was not approved at the identity provider (${outcome.error})`, { idpError: outcome.error });
      throw new BrowserFlowUnfinished(`the provider refused the browser login: ${outcome.error}${outcome.description ? ` (${outcome.description})` : ''}`);
    case 'code': {
      const code = outcome.url.searchParams.get('code');
      if (code) redactor.add(code);
      return { set: await oauth.exchangeAuthorizationCode(config, outcome.url, checks, params), config };
    }
  }
}
