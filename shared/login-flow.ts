/**
 * Which flow a login uses (DESIGN.md "the login ladder"): the browser flow (authorization
 * code + PKCE, RFC 8252) where a browser can reach the agent's loopback redirect, device flow
 * (RFC 8628) otherwise. Pure: the agent calls it with what the CLI said about its machine.
 */
import type { LoginFlowPreference, ProviderName } from './config.js';

export type LoginFlow = 'browser' | 'device';

/** What a provider family prefers: the presets know which providers discourage device flow. */
export type ProviderFlowPreference = 'browser' | 'either';

/**
 * Entra (tenants block device flow by Conditional Access), Google (limits device-flow
 * scopes), Okta and Auth0 (recommend PKCE for native apps): browser first. GitHub offers
 * both equally; a generic provider is judged by its metadata alone.
 */
export function providerFlowPreference(provider: ProviderName | undefined): ProviderFlowPreference {
  switch (provider) {
    case 'entra':
    case 'google':
    case 'okta':
    case 'auth0':
      return 'browser';
    default:
      return 'either';
  }
}

export interface LoginFlowInput {
  /** `--flow` (default auto). */
  requested?: LoginFlowPreference;
  /** The profile's `flow` (default auto). */
  profileFlow?: LoginFlowPreference;
  provider?: ProviderName;
  /** The CLI can open a browser on the user's display; when not, `noBrowserReason` says why. */
  clientCanOpenBrowser: boolean;
  noBrowserReason?: string;
  /**
   * The request came through the agent's forwarding socket: the agent (and its loopback
   * redirect) is on the user's own machine, where the printed URL is clicked.
   */
  viaForwarding: boolean;
  /** Discovery (or the profile's endpoints) names an authorization endpoint. */
  hasAuthorizationEndpoint: boolean;
}

export interface LoginFlowChoice {
  flow: LoginFlow;
  /** For people and `--json`: why this flow. */
  reason: string;
  /** True when a browser flow that cannot finish may fall back to device flow (auto only). */
  fallback: boolean;
  /** Set when an explicitly asked flow cannot run: the login is refused with this. */
  refused?: string;
}

export function chooseLoginFlow(input: LoginFlowInput): LoginFlowChoice {
  const explicit = input.requested && input.requested !== 'auto' ? { flow: input.requested, by: '--flow' } : input.profileFlow && input.profileFlow !== 'auto' ? { flow: input.profileFlow, by: 'the profile\'s "flow"' } : undefined;
  if (explicit?.flow === 'device') return { flow: 'device', reason: `${explicit.by} asks for device flow`, fallback: false };
  if (explicit?.flow === 'browser') {
    if (!input.hasAuthorizationEndpoint)
      return { flow: 'browser', reason: `${explicit.by} asks for the browser flow`, fallback: false, refused: 'the provider names no authorization endpoint, so only device flow can log in: run `authctl login --flow device`' };
    return { flow: 'browser', reason: `${explicit.by} asks for the browser flow`, fallback: false };
  }
  if (!input.hasAuthorizationEndpoint) return { flow: 'device', reason: 'the provider names no authorization endpoint', fallback: false };
  const preferred = providerFlowPreference(input.provider) === 'browser' ? ' (the provider prefers it)' : '';
  if (input.viaForwarding) return { flow: 'browser', reason: `the login came through a forwarded agent: open the URL on the machine the agent runs on${preferred}`, fallback: true };
  if (input.clientCanOpenBrowser) return { flow: 'browser', reason: `a browser can be opened on this machine${preferred}`, fallback: true };
  return { flow: 'device', reason: `no browser on this machine${input.noBrowserReason ? ` (${input.noBrowserReason})` : ''}`, fallback: false };
}
