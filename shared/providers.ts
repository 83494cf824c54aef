/**
 * Provider presets: from what a person knows about their identity provider (an Auth0
 * domain, an Entra tenant, a Keycloak realm...) to a complete profile: issuer, endpoints
 * where discovery cannot be used, and the parameters that provider needs. Pure: the
 * result is validated with the same schema the agent uses.
 */
import { validateConfig, type Profile, type ProviderEndpoints, type ProviderName } from './config.js';
import { AuthctlError } from './errors.js';

export interface PresetInput {
  provider: ProviderName;
  clientId: string;
  /** Scopes asked for in addition to the preset's (space-separated entries are split). */
  scopes?: string[];
  audience?: string;
  resource?: string;
  /** auth0, okta: the tenant's host name; github: a GitHub Enterprise Server host. */
  domain?: string;
  /** okta: "default" (the default), a custom authorization server id, or "org". */
  authorizationServer?: string;
  /** entra: a tenant id, a verified domain, or organizations / common / consumers. */
  tenant?: string;
  /** keycloak: the server's base URL (including /auth on Keycloak before 17). */
  base?: string;
  realm?: string;
  /** generic, manual: the issuer URL. */
  issuer?: string;
  /** manual: the endpoints. */
  endpoints?: Partial<ProviderEndpoints>;
  /** google: the installed-app client secret. */
  clientSecret?: string;
}

const ENTRA_LOGIN = 'https://login.microsoftonline.com';
const OIDC_REFRESH = ['openid', 'offline_access'];

/** What each preset needs, for usage messages. */
export const PRESET_USAGE: Record<ProviderName, string> = {
  auth0: '--provider auth0 --domain TENANT.auth0.com --audience API --client-id ID',
  okta: '--provider okta --domain ORG.okta.com [--authorization-server default|ID|org] --client-id ID',
  entra: '--provider entra --tenant TENANT --client-id ID [--scope api://APP/.default]',
  google: '--provider google --client-id ID --client-secret SECRET',
  github: '--provider github [--domain GHES-HOST] --client-id ID [--scope repo]',
  keycloak: '--provider keycloak --base URL --realm REALM --client-id ID',
  generic: '--provider generic --issuer URL --client-id ID',
  manual: '--provider manual --issuer URL --device-endpoint URL --token-endpoint URL [--revocation-endpoint URL] --client-id ID',
};

/** The inputs that say where a provider is, and the flag each comes from. */
const LOCATORS = { domain: '--domain', authorizationServer: '--authorization-server', tenant: '--tenant', base: '--base', realm: '--realm', issuer: '--issuer', clientSecret: '--client-secret' } as const;
const ACCEPTS: Record<ProviderName, Array<keyof typeof LOCATORS>> = {
  auth0: ['domain'],
  okta: ['domain', 'authorizationServer'],
  entra: ['tenant'],
  google: ['clientSecret'],
  github: ['domain'],
  keycloak: ['base', 'realm'],
  generic: ['issuer'],
  manual: ['issuer'],
};

/** Builds and validates the profile a preset describes; a missing or misplaced input is a usage error. */
export function presetProfile(input: PresetInput): Profile {
  for (const key of Object.keys(LOCATORS) as Array<keyof typeof LOCATORS>) {
    if (input[key] !== undefined && !ACCEPTS[input.provider].includes(key))
      throw usage(`${LOCATORS[key]} does not apply to --provider ${input.provider}; usage: authctl profile add NAME ${PRESET_USAGE[input.provider]}`);
  }
  if (input.provider !== 'manual' && Object.values(input.endpoints ?? {}).some(Boolean))
    throw usage(`--device-endpoint, --token-endpoint and --revocation-endpoint apply to --provider manual only; --provider ${input.provider} knows its endpoints`);
  const extra = splitScopes(input.scopes);
  const base = presetBase(input);
  const profile: Profile = {
    ...base,
    provider: input.provider,
    clientId: need(input, 'clientId', '--client-id'),
    scopes: [...new Set([...base.scopes, ...extra])],
  };
  if (input.audience) profile.audience = input.audience;
  if (input.resource) profile.resource = input.resource;
  // The agent's own schema has the last word (URLs must be https, and so on).
  const checked = validateConfig({ profiles: { preset: profile } }, `--provider ${input.provider}`);
  return checked.profiles!.preset!;
}

type PresetBase = Pick<Profile, 'issuer' | 'scopes' | 'endpoints' | 'clientSecret'>;

function presetBase(input: PresetInput): PresetBase {
  switch (input.provider) {
    case 'auth0': {
      // Without an audience Auth0 issues an opaque token that only its /userinfo accepts.
      need(input, 'audience', '--audience (the API identifier from the Auth0 dashboard)');
      return { issuer: `https://${host(input)}/`, scopes: [...OIDC_REFRESH, 'profile'] };
    }
    case 'okta': {
      const server = input.authorizationServer ?? 'default';
      const issuer = server === 'org' ? `https://${host(input)}` : `https://${host(input)}/oauth2/${segment(server, '--authorization-server')}`;
      return { issuer, scopes: [...OIDC_REFRESH, 'profile'] };
    }
    case 'entra': {
      if (input.audience || input.resource)
        throw usage('Entra ID has no audience parameter: ask for the API\'s scopes instead, e.g. --scope api://APP-ID/.default');
      const tenant = segment(need(input, 'tenant', '--tenant'), '--tenant');
      // Fixed endpoints: the multi-tenant aliases (common, organizations) publish a templated
      // issuer that no token carries, so discovery's issuer check cannot be satisfied.
      return {
        issuer: `${ENTRA_LOGIN}/${tenant}/v2.0`,
        scopes: [...OIDC_REFRESH, 'profile'],
        endpoints: {
          authorization: `${ENTRA_LOGIN}/${tenant}/oauth2/v2.0/authorize`,
          deviceAuthorization: `${ENTRA_LOGIN}/${tenant}/oauth2/v2.0/devicecode`,
          token: `${ENTRA_LOGIN}/${tenant}/oauth2/v2.0/token`,
        },
      };
    }
    case 'google':
      // Google's device flow refuses offline_access; it returns a refresh token regardless.
      return {
        issuer: 'https://accounts.google.com',
        scopes: ['openid', 'email', 'profile'],
        clientSecret: need(input, 'clientSecret', '--client-secret (shown next to the client ID in the Google Cloud console)'),
      };
    case 'github': {
      const origin = `https://${input.domain ? host(input) : 'github.com'}`;
      return {
        issuer: origin,
        scopes: [],
        endpoints: { authorization: `${origin}/login/oauth/authorize`, deviceAuthorization: `${origin}/login/device/code`, token: `${origin}/login/oauth/access_token` },
      };
    }
    case 'keycloak': {
      const root = need(input, 'base', '--base').replace(/\/+$/, '');
      return { issuer: `${root}/realms/${segment(need(input, 'realm', '--realm'), '--realm')}`, scopes: [...OIDC_REFRESH] };
    }
    case 'generic':
      return { issuer: need(input, 'issuer', '--issuer'), scopes: [...OIDC_REFRESH] };
    case 'manual': {
      const e = input.endpoints ?? {};
      if (!e.deviceAuthorization || !e.token) throw usage('--provider manual needs --device-endpoint URL and --token-endpoint URL');
      return {
        issuer: need(input, 'issuer', '--issuer'),
        scopes: [...OIDC_REFRESH],
        endpoints: { deviceAuthorization: e.deviceAuthorization, token: e.token, ...(e.revocation ? { revocation: e.revocation } : {}) },
      };
    }
  }
}

function need<K extends keyof PresetInput>(input: PresetInput, key: K, flag: string): NonNullable<PresetInput[K]> {
  const v = input[key];
  if (v === undefined || v === '') throw usage(`--provider ${input.provider} needs ${flag}; usage: authctl profile add NAME ${PRESET_USAGE[input.provider]}`);
  return v as NonNullable<PresetInput[K]>;
}

/** A host name, also when pasted as a URL ("https://x.auth0.com/"). */
function host(input: PresetInput): string {
  const raw = need(input, 'domain', '--domain').trim();
  const h = raw.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(h)) throw usage(`--domain must be a host name such as "example.okta.com", not "${raw}"`);
  return h.toLowerCase();
}

/** One URL path segment (a tenant, realm or server id): no slashes or spaces. */
function segment(value: string, flag: string): string {
  if (!/^[A-Za-z0-9._~-]+$/.test(value)) throw usage(`${flag} must be a single name such as "default", not "${value}"`);
  return value;
}

function splitScopes(scopes?: string[]): string[] {
  return (scopes ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean);
}

function usage(message: string): AuthctlError {
  return new AuthctlError('usage', message);
}
