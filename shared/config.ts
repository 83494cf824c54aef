/**
 * The config schema (user file and admin system file) and the pure functions that
 * validate and merge it. No I/O here: callers read the files and pass the text in.
 * Secrets never go into config.
 */
import { AuthctlError } from './errors.js';
import { didYouMean } from './suggest.js';

export type StoragePreference = 'auto' | 'keychain' | 'file';

export interface PrivilegedPolicy {
  scopes?: string[];
  audiences?: string[];
  resources?: string[];
  cacheSeconds?: number;
  /**
   * No grant carrying the privileged scopes is obtained while no OTP method is enrolled: the
   * login that would ask for them is refused with the command to enrol (closes the window in
   * which the first enrolment is anyone's).
   */
  requireEnrolment?: boolean;
  /**
   * The privileged scopes are never part of the persisted login grant: `authctl login
   * --privileged` gets them in a second login whose refresh token stays in agent memory.
   */
  separateGrant?: boolean;
  /** How long that in-memory privileged session lasts at most (default 8 h). */
  sessionSeconds?: number;
  /** The privileged login's `max_age` (OpenID Connect Core §3.1.2.1; 0 asks for a fresh sign-in). */
  maxAge?: number;
  /** The privileged login's `acr_values` (RFC 9470 step-up), space-separated. */
  acrValues?: string;
}

/** Default for privileged.sessionSeconds: a working day. */
export const DEFAULT_PRIVILEGED_SESSION_SECONDS = 8 * 3600;

export interface Profile {
  issuer: string;
  clientId: string;
  /** Scopes asked for at login (space-separated in flags, an array here). */
  scopes: string[];
  audience?: string;
  resource?: string;
  /** Extra parameters for the device authorization request and the authorization URL (e.g. Auth0's `organization`). */
  extraParams?: Record<string, string>;
  /** How `authctl login` signs in (default "auto": the browser flow where a browser can reach the agent, else device flow). */
  flow?: LoginFlowPreference;
  /**
   * The browser flow's redirect URI, for providers that need a registered fixed port
   * (`http://localhost:8400/callback`) or host name (`http://localhost/callback`: any port);
   * default: http://127.0.0.1:<random port>/callback (RFC 8252 §7.3).
   */
  redirectUri?: string;
  minValidSeconds?: number;
  privileged?: PrivilegedPolicy;
  /** The provider family (its quirks are normalised in the agent's transport); absent means "generic". */
  provider?: ProviderName;
  /** Explicit endpoints for providers without (usable) discovery; when set, discovery is skipped. */
  endpoints?: ProviderEndpoints;
  /**
   * Google's installed-app client secret, which Google documents as not confidential for this
   * client type (it ships inside every copy of the app). Accepted for provider "google" only.
   */
  clientSecret?: string;
  /** git: which remotes this profile answers for without `--profile` (first match wins). */
  match?: GitMatchRule[];
  /** git: the username sent with the token (default "oauth2"). */
  gitUsername?: string;
  /** git: "bearer" answers git 2.46+ with `authtype=Bearer` instead of a Basic password. */
  gitAuthType?: 'basic' | 'bearer';
  /** `authctl exec` / `authctl env`: the variable that carries the token (default AUTHCTL_ACCESS_TOKEN). */
  envName?: string;
  /** docker: the registries (host[:port]) this profile answers for. */
  registries?: string[];
  /** docker: the username sent with the token (default "oauth2"). */
  registryUsername?: string;
  /** kubectl: when set, `authctl kube` answers only for these API servers (KUBERNETES_EXEC_INFO's cluster.server). */
  clusters?: string[];
  /** CI: exchange the job's identity token instead of a login (workload identity federation). */
  federation?: Federation;
  /** Whether remote hosts may use this profile through `authctl ssh` (the forwarding socket); default true. */
  forwarding?: boolean;
}

export const FEDERATION_SOURCES = ['github-actions', 'gitlab', 'env', 'file'] as const;
export type FederationSource = (typeof FEDERATION_SOURCES)[number];
export const FEDERATION_EXCHANGES = ['token-exchange', 'client-assertion'] as const;
export type FederationExchange = (typeof FEDERATION_EXCHANGES)[number];

/**
 * Where a CI job's identity token comes from and how it becomes an access token:
 * RFC 8693 token exchange, or RFC 7523 §2.2 client assertion with client_credentials.
 */
export interface Federation {
  source: FederationSource;
  /** github-actions: the `audience` asked of GitHub (its default, the owner's URL, when absent). */
  audience?: string;
  /** gitlab and env: the variable holding the token (a GitLab `id_tokens` name). */
  variable?: string;
  /** file: an absolute path (a Kubernetes projected service-account token), re-read when it changes. */
  path?: string;
  exchange: FederationExchange;
}

/** A git remote pattern: `host` may start with "*." and may carry a port; `path` is a prefix. */
export interface GitMatchRule {
  protocol?: 'https' | 'http';
  host: string;
  path?: string;
}

export const PROVIDERS = ['auth0', 'okta', 'entra', 'google', 'github', 'keycloak', 'generic', 'manual'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const LOGIN_FLOWS = ['auto', 'browser', 'device'] as const;
export type LoginFlowPreference = (typeof LOGIN_FLOWS)[number];

export interface ProviderEndpoints {
  /** The browser flow's authorization endpoint (RFC 6749 §3.1); without it only device flow is offered. */
  authorization?: string;
  deviceAuthorization: string;
  token: string;
  revocation?: string;
}

/** How the agent reaches identity providers (read when the agent starts). */
export interface NetworkSettings {
  /** A PEM bundle of extra CAs (e.g. a TLS-inspecting proxy's), added to the system ones. */
  caFile?: string;
  /** Per-request timeout (default 15). */
  timeoutSeconds?: number;
  /**
   * The proxy for every provider request (http:// or https:// URL), or "direct" for none;
   * wins over the agent's HTTPS_PROXY/HTTP_PROXY. TLS to the provider is verified either way.
   */
  proxy?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax); wins over the agent's NO_PROXY. */
  noProxy?: string;
}

export interface ConfigFile {
  network?: NetworkSettings;
  defaultProfile?: string;
  storage?: StoragePreference;
  requirePeerCheck?: boolean;
  profiles?: Record<string, Profile>;
}

export interface ResolvedProfile extends Profile {
  name: string;
  source: 'user' | 'system';
}

export interface EffectiveConfig {
  defaultProfile?: string;
  storage: StoragePreference;
  requirePeerCheck: boolean;
  profiles: Map<string, ResolvedProfile>;
  /** The system file's CA bundle and the user's, both trusted; the last file's proxy settings. */
  network: { caFiles: string[]; timeoutSeconds?: number; proxy?: string; noProxy?: string };
  /**
   * Profiles a file names but that are invalid, each with its problem (file and field): they
   * are left out, so the other profiles keep working, and asking for one says what is wrong.
   */
  brokenProfiles: Map<string, string>;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_KEYS = new Set(['defaultProfile', 'storage', 'requirePeerCheck', 'profiles', 'network']);
const PROFILE_KEYS = new Set([
  'issuer',
  'clientId',
  'scopes',
  'audience',
  'resource',
  'extraParams',
  'flow',
  'redirectUri',
  'minValidSeconds',
  'privileged',
  'provider',
  'endpoints',
  'clientSecret',
  'match',
  'gitUsername',
  'gitAuthType',
  'envName',
  'registries',
  'registryUsername',
  'clusters',
  'federation',
  'forwarding',
]);
/** A variable name the shell accepts; AUTHCTL_TOKEN is taken (it means a pre-issued CI token). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Returns why `name` cannot carry the token, or undefined when it can. */
export function checkEnvName(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return `"${name}" is not a variable name (letters, digits and "_", not starting with a digit)`;
  if (name === 'AUTHCTL_TOKEN') return '"AUTHCTL_TOKEN" is reserved for a pre-issued token (CI); pick another name';
  return undefined;
}

export function isValidProfileName(name: string): boolean {
  return PROFILE_NAME.test(name);
}

/** Loopback hosts may use plain http (the test IdP, the demo); everything else needs https. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Returns an error message for an issuer URL, or undefined when it is acceptable. */
export function checkIssuerUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `"${value}" must use https (plain http is allowed only for loopback issuers)`;
}

/**
 * Parses config text; every problem names the file and the field (a JSON syntax error, its
 * line and column). With `broken`, an invalid profile is recorded there and left out instead
 * of failing the whole file: one bad profile must not make every other one unusable.
 */
export function parseConfigText(text: string, file: string, broken?: Map<string, string>): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AuthctlError('config_invalid', `${file}:${jsonErrorPlace(text, (e as Error).message)}: not valid JSON (${(e as Error).message.replace(/, ".*" is not valid JSON$/s, '')})`);
  }
  return validateConfig(raw, file, broken);
}

/** An unknown key is most often a typo of a known one: say which (`did you mean "clientId"?`). */
function rejectUnknownKeys(obj: Record<string, unknown>, known: Iterable<string>, at: string, fail: (what: string) => never, what = 'setting'): void {
  const names = [...known];
  for (const key of Object.keys(obj)) {
    if (names.includes(key)) continue;
    const hint = didYouMean(key, names);
    fail(`${at}unknown ${what} "${key}"${hint ? ` (${hint})` : ''}`);
  }
}

/** "line:column" of a JSON.parse error (V8 names a position, or the input ended early). */
export function jsonErrorPlace(text: string, message: string): string {
  const at = /at position (\d+)/.exec(message);
  let pos = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : -1;
  if (pos < 0) {
    // "Unexpected token 'x', "..." is not valid JSON": the first such character.
    const token = /Unexpected token '(.)'/.exec(message)?.[1];
    pos = token === undefined ? 0 : Math.max(0, text.indexOf(token));
  }
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

export function validateConfig(raw: unknown, file: string, broken?: Map<string, string>): ConfigFile {
  const fail = (what: string): never => {
    throw new AuthctlError('config_invalid', `${file}: ${what}`);
  };
  if (!isObject(raw)) fail('the top level must be a JSON object');
  const obj = raw as Record<string, unknown>;
  rejectUnknownKeys(obj, TOP_KEYS, '', fail);
  const out: ConfigFile = {};
  if (obj.defaultProfile !== undefined) {
    if (typeof obj.defaultProfile !== 'string') fail('"defaultProfile" must be a string');
    out.defaultProfile = obj.defaultProfile as string;
  }
  if (obj.storage !== undefined) {
    if (obj.storage !== 'auto' && obj.storage !== 'keychain' && obj.storage !== 'file')
      fail('"storage" must be "auto", "keychain" or "file"');
    out.storage = obj.storage as StoragePreference;
  }
  if (obj.requirePeerCheck !== undefined) {
    if (typeof obj.requirePeerCheck !== 'boolean') fail('"requirePeerCheck" must be true or false');
    out.requirePeerCheck = obj.requirePeerCheck as boolean;
  }
  if (obj.network !== undefined) out.network = validateNetwork(obj.network, fail);
  if (obj.profiles !== undefined) {
    if (!isObject(obj.profiles)) fail('"profiles" must be an object of profile name to profile');
    out.profiles = {};
    for (const [name, p] of Object.entries(obj.profiles as Record<string, unknown>)) {
      if (!broken) {
        out.profiles[name] = validateProfile(name, p, fail);
        continue;
      }
      try {
        out.profiles[name] = validateProfile(name, p, fail);
      } catch (e) {
        if (!(e instanceof AuthctlError)) throw e;
        broken.set(name, e.message);
      }
    }
  }
  return out;
}

function validateProfile(name: string, raw: unknown, fail: (what: string) => never): Profile {
  const at = `profiles.${name}`;
  if (!isValidProfileName(name)) fail(`profile name "${name}" may use letters, digits, ".", "_" and "-" only`);
  if (!isObject(raw)) fail(`${at} must be an object`);
  const p = raw as Record<string, unknown>;
  rejectUnknownKeys(p, PROFILE_KEYS, `${at}: `, fail);
  if (typeof p.issuer !== 'string') fail(`${at}.issuer is missing`);
  const issuerProblem = checkIssuerUrl(p.issuer as string);
  if (issuerProblem) fail(`${at}.issuer ${issuerProblem}`);
  if (typeof p.clientId !== 'string' || p.clientId === '') fail(`${at}.clientId is missing`);
  const scopes = p.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
    fail(`${at}.scopes must be a list of scope strings`);
  const profile: Profile = { issuer: p.issuer as string, clientId: p.clientId as string, scopes: scopes as string[] };
  for (const key of ['audience', 'resource'] as const) {
    if (p[key] === undefined) continue;
    if (typeof p[key] !== 'string' || p[key] === '') fail(`${at}.${key} must be a non-empty string`);
    profile[key] = p[key] as string;
  }
  if (p.extraParams !== undefined) {
    if (!isObject(p.extraParams) || !Object.values(p.extraParams).every((v) => typeof v === 'string'))
      fail(`${at}.extraParams must map names to strings`);
    profile.extraParams = p.extraParams as Record<string, string>;
  }
  validateFlowFields(p, profile, at, fail);
  if (p.minValidSeconds !== undefined) {
    const v = p.minValidSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 86400)
      fail(`${at}.minValidSeconds must be a whole number of seconds from 0 to 86400`);
    profile.minValidSeconds = v as number;
  }
  if (p.privileged !== undefined) profile.privileged = validatePolicy(p.privileged, `${at}.privileged`, fail);
  validateAdapterFields(p, profile, at, fail);
  validateProviderFields(p, profile, at, fail);
  if (p.federation !== undefined) profile.federation = validateFederation(p.federation, `${at}.federation`, fail);
  if (p.forwarding !== undefined) {
    if (typeof p.forwarding !== 'boolean') fail(`${at}.forwarding must be true or false`);
    profile.forwarding = p.forwarding as boolean;
  }
  return profile;
}

/** `federation`: each source names exactly the setting it reads, nothing else. */
export function validateFederation(raw: unknown, at: string, fail: (what: string) => never): Federation {
  if (!isObject(raw)) fail(`${at} must be an object such as { "source": "github-actions", "exchange": "token-exchange" }`);
  const r = raw as Record<string, unknown>;
  rejectUnknownKeys(r, ['source', 'audience', 'variable', 'path', 'exchange'], `${at}: `, fail);
  if (!FEDERATION_SOURCES.includes(r.source as FederationSource)) fail(`${at}.source must be one of ${FEDERATION_SOURCES.join(', ')}`);
  if (!FEDERATION_EXCHANGES.includes(r.exchange as FederationExchange)) fail(`${at}.exchange must be one of ${FEDERATION_EXCHANGES.join(', ')}`);
  const out: Federation = { source: r.source as FederationSource, exchange: r.exchange as FederationExchange };
  const source = out.source;
  if (r.audience !== undefined) {
    if (source !== 'github-actions') fail(`${at}.audience is for source "github-actions" only (GitLab sets it in the job's id_tokens, other sources cannot choose it)`);
    if (typeof r.audience !== 'string' || r.audience === '' || r.audience.length > 512) fail(`${at}.audience must be a non-empty string`);
    out.audience = r.audience as string;
  }
  if (source === 'gitlab' || source === 'env') {
    if (r.variable === undefined) fail(`${at}: source "${source}" needs "variable", the name of the variable holding the identity token`);
    const problem = typeof r.variable === 'string' ? checkEnvName(r.variable) : 'must be a string';
    if (problem) fail(`${at}.variable ${problem}`);
    out.variable = r.variable as string;
  } else if (r.variable !== undefined) {
    fail(`${at}.variable is for sources "gitlab" and "env" only`);
  }
  if (source === 'file') {
    if (typeof r.path !== 'string' || !r.path.startsWith('/')) fail(`${at}: source "file" needs "path", the absolute path of the token file`);
    out.path = r.path as string;
  } else if (r.path !== undefined) {
    fail(`${at}.path is for source "file" only`);
  }
  return out;
}

/** `flow` and the browser flow's `redirectUri`: plain http to a loopback host only (RFC 8252 §7.3, §8.3). */
function validateFlowFields(p: Record<string, unknown>, profile: Profile, at: string, fail: (what: string) => never): void {
  if (p.flow !== undefined) {
    if (!LOGIN_FLOWS.includes(p.flow as LoginFlowPreference)) fail(`${at}.flow must be one of ${LOGIN_FLOWS.join(', ')}`);
    profile.flow = p.flow as LoginFlowPreference;
  }
  if (p.redirectUri !== undefined) {
    const url = typeof p.redirectUri === 'string' ? URL.parse(p.redirectUri) : null;
    // Without a port the agent picks one (RFC 8252 §7.3: e.g. Entra's registered "http://localhost").
    if (!url || url.protocol !== 'http:' || !isLoopbackHost(url.hostname) || url.search || url.hash || url.username || url.password)
      fail(`${at}.redirectUri must be a loopback http URL, such as "http://localhost:8400/callback" (a registered port) or "http://localhost/callback" (any port)`);
    profile.redirectUri = p.redirectUri as string;
  }
}

/** `provider`, `endpoints` and Google's `clientSecret` (see shared/providers.ts for the presets). */
function validateProviderFields(p: Record<string, unknown>, profile: Profile, at: string, fail: (what: string) => never): void {
  if (p.provider !== undefined) {
    if (!PROVIDERS.includes(p.provider as ProviderName)) fail(`${at}.provider must be one of ${PROVIDERS.join(', ')}`);
    profile.provider = p.provider as ProviderName;
  }
  if (p.endpoints !== undefined) {
    if (!isObject(p.endpoints)) fail(`${at}.endpoints must be an object with "deviceAuthorization" and "token" URLs`);
    const e = p.endpoints as Record<string, unknown>;
    const endpoints: Record<string, string> = {};
    rejectUnknownKeys(e, ['authorization', 'deviceAuthorization', 'token', 'revocation'], `${at}.endpoints: `, fail, 'endpoint');
    for (const key of ['authorization', 'deviceAuthorization', 'token', 'revocation']) {
      // A CI profile (federation) only ever calls the token endpoint (Google's STS has no discovery).
      if (e[key] === undefined && (key === 'revocation' || key === 'authorization' || (key === 'deviceAuthorization' && p.federation !== undefined))) continue;
      if (typeof e[key] !== 'string') fail(`${at}.endpoints.${key} is missing`);
      const problem = checkIssuerUrl(e[key] as string);
      if (problem) fail(`${at}.endpoints.${key} ${problem}`);
      endpoints[key] = e[key] as string;
    }
    profile.endpoints = endpoints as unknown as ProviderEndpoints;
  } else if (profile.provider === 'manual') {
    fail(`${at}: provider "manual" needs "endpoints" with "deviceAuthorization" and "token" URLs`);
  }
  if (p.clientSecret !== undefined) {
    if (profile.provider !== 'google')
      fail(`${at}.clientSecret is accepted only with provider "google" (whose installed-app secret is not confidential); secrets never go into config`);
    if (typeof p.clientSecret !== 'string' || p.clientSecret === '') fail(`${at}.clientSecret must be a non-empty string`);
    profile.clientSecret = p.clientSecret as string;
  } else if (profile.provider === 'google') {
    fail(`${at}: provider "google" needs "clientSecret", the installed-app secret shown next to the client ID in the Google Cloud console`);
  }
}

function validateNetwork(raw: unknown, fail: (what: string) => never): NetworkSettings {
  if (!isObject(raw)) fail('"network" must be an object');
  const r = raw as Record<string, unknown>;
  rejectUnknownKeys(r, ['caFile', 'timeoutSeconds', 'proxy', 'noProxy'], 'network: ', fail);
  const out: NetworkSettings = {};
  if (r.caFile !== undefined) {
    if (typeof r.caFile !== 'string' || !r.caFile.startsWith('/')) fail('network.caFile must be the absolute path of a PEM file');
    out.caFile = r.caFile as string;
  }
  if (r.timeoutSeconds !== undefined) {
    const v = r.timeoutSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 300) fail('network.timeoutSeconds must be a whole number of seconds from 1 to 300');
    out.timeoutSeconds = v as number;
  }
  if (r.proxy !== undefined) {
    if (typeof r.proxy !== 'string' || (r.proxy !== 'direct' && !/^https?:\/\/[^\s]+$/.test(r.proxy)))
      fail('network.proxy must be an http:// or https:// proxy URL, or "direct"');
    out.proxy = r.proxy as string;
  }
  if (r.noProxy !== undefined) {
    if (typeof r.noProxy !== 'string' || /[\s\x00-\x1f]/.test(r.noProxy.replace(/ /g, ''))) fail('network.noProxy must be a string such as "localhost,.corp.example"');
    out.noProxy = r.noProxy as string;
  }
  return out;
}

/** The fields the git, docker and exec adapters read. */
function validateAdapterFields(p: Record<string, unknown>, profile: Profile, at: string, fail: (what: string) => never): void {
  for (const key of ['gitUsername', 'registryUsername'] as const) {
    if (p[key] === undefined) continue;
    if (typeof p[key] !== 'string' || !/^[^\s:]{1,256}$/.test(p[key] as string)) fail(`${at}.${key} must be a username without spaces or ":"`);
    profile[key] = p[key] as string;
  }
  if (p.gitAuthType !== undefined) {
    if (p.gitAuthType !== 'basic' && p.gitAuthType !== 'bearer') fail(`${at}.gitAuthType must be "basic" or "bearer"`);
    profile.gitAuthType = p.gitAuthType as 'basic' | 'bearer';
  }
  if (p.envName !== undefined) {
    const problem = typeof p.envName === 'string' ? checkEnvName(p.envName) : 'must be a string';
    if (problem) fail(`${at}.envName ${problem}`);
    profile.envName = p.envName as string;
  }
  if (p.registries !== undefined) {
    if (!Array.isArray(p.registries) || !p.registries.every((r) => typeof r === 'string' && HOST_PATTERN.test(r) && !r.startsWith('*')))
      fail(`${at}.registries must be a list of registry hosts such as "registry.example.com" or "localhost:5000"`);
    profile.registries = p.registries as string[];
  }
  if (p.clusters !== undefined) {
    const isServer = (c: unknown) => typeof c === 'string' && /^https?:$/.test(URL.parse(c)?.protocol ?? '');
    if (!Array.isArray(p.clusters) || !p.clusters.length || !p.clusters.every(isServer))
      fail(`${at}.clusters must be a list of Kubernetes API server URLs such as "https://k8s.example.com:6443"`);
    profile.clusters = p.clusters as string[];
  }
  if (p.match !== undefined) {
    if (!Array.isArray(p.match)) fail(`${at}.match must be a list of rules such as { "host": "git.example.com" }`);
    profile.match = (p.match as unknown[]).map((r, i) => validateMatchRule(r, `${at}.match[${i}]`, fail));
  }
}

function validateMatchRule(raw: unknown, at: string, fail: (what: string) => never): GitMatchRule {
  if (!isObject(raw)) fail(`${at} must be an object such as { "host": "git.example.com" }`);
  const r = raw as Record<string, unknown>;
  rejectUnknownKeys(r, ['protocol', 'host', 'path'], `${at}: `, fail);
  if (typeof r.host !== 'string' || !HOST_PATTERN.test(r.host)) fail(`${at}.host must be a host such as "git.example.com", "*.example.com" or "host:8443"`);
  const rule: GitMatchRule = { host: r.host as string };
  if (r.protocol !== undefined) {
    if (r.protocol !== 'https' && r.protocol !== 'http') fail(`${at}.protocol must be "https" or "http"`);
    rule.protocol = r.protocol as 'https' | 'http';
  }
  if (r.path !== undefined) {
    if (typeof r.path !== 'string' || r.path === '') fail(`${at}.path must be a non-empty path prefix`);
    rule.path = r.path as string;
  }
  return rule;
}

function validatePolicy(raw: unknown, at: string, fail: (what: string) => never): PrivilegedPolicy {
  if (!isObject(raw)) fail(`${at} must be an object`);
  const r = raw as Record<string, unknown>;
  const known = ['scopes', 'audiences', 'resources', 'cacheSeconds', 'requireEnrolment', 'separateGrant', 'sessionSeconds', 'maxAge', 'acrValues'];
  rejectUnknownKeys(r, known, `${at}: `, fail);
  const out: PrivilegedPolicy = {};
  for (const key of ['scopes', 'audiences', 'resources'] as const) {
    if (r[key] === undefined) continue;
    if (!Array.isArray(r[key]) || !(r[key] as unknown[]).every((s) => typeof s === 'string'))
      fail(`${at}.${key} must be a list of strings`);
    out[key] = r[key] as string[];
  }
  if (r.cacheSeconds !== undefined) {
    if (typeof r.cacheSeconds !== 'number' || r.cacheSeconds < 0) fail(`${at}.cacheSeconds must be >= 0`);
    out.cacheSeconds = r.cacheSeconds as number;
  }
  for (const key of ['requireEnrolment', 'separateGrant'] as const) {
    if (r[key] === undefined) continue;
    if (typeof r[key] !== 'boolean') fail(`${at}.${key} must be true or false`);
    out[key] = r[key] as boolean;
  }
  if (r.sessionSeconds !== undefined) {
    const v = r.sessionSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 60 || v > 7 * 86400) fail(`${at}.sessionSeconds must be a whole number of seconds from 60 to 604800`);
    out.sessionSeconds = v as number;
  }
  if (r.maxAge !== undefined) {
    const v = r.maxAge;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${at}.maxAge must be a whole number of seconds, 0 or more`);
    out.maxAge = v as number;
  }
  if (r.acrValues !== undefined) {
    if (typeof r.acrValues !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(r.acrValues)) fail(`${at}.acrValues must be space-separated ACR values`);
    out.acrValues = r.acrValues as string;
  }
  return out;
}

/** One config file as read: its name (for messages) and its content. */
export interface ConfigLayer {
  file: string;
  config: ConfigFile;
  /** Profiles of this file left out as invalid (parseConfigText's `broken`). */
  broken?: Map<string, string>;
}

/**
 * Where a profile's tokens come from and go to. A later file may repeat these for a profile
 * an admin defined, never change them: otherwise a user file could point the admin's
 * profile (and its refresh token) at another token endpoint.
 */
export const LOCKED_PROFILE_KEYS = ['issuer', 'clientId', 'endpoints', 'provider'] as const;

/**
 * User entries override system ones, except that a system privileged policy cannot be
 * weakened (its lists are unioned with the user's), and a system profile's issuer, client
 * id, provider and endpoints cannot be changed (config_invalid naming the key).
 */
export function mergeConfigs(system: ConfigFile, user: ConfigFile, files = { system: 'the system config', user: 'your config' }): EffectiveConfig {
  return mergeConfigFiles([{ file: files.system, config: system }], { file: files.user, config: user });
}

/**
 * The system files in order (the fixed one first, then any added one), then the user file.
 * Each later file only adds to what the system files say: its own profiles and settings,
 * stricter policies; it never removes or weakens them.
 */
export function mergeConfigFiles(system: ConfigLayer[], user: ConfigLayer): EffectiveConfig {
  const profiles = new Map<string, ResolvedProfile>();
  const definedIn = new Map<string, string>();
  const caFiles: string[] = [];
  let keychainRequired = false;
  let storage: StoragePreference | undefined;
  let requirePeerCheck = false;
  let defaultProfile: string | undefined;
  let timeoutSeconds: number | undefined;
  let proxy: string | undefined;
  let noProxy: string | undefined;
  const brokenProfiles = new Map<string, string>();
  const layers = [...system.map((l) => ({ ...l, source: 'system' as const })), { ...user, source: 'user' as const }];
  for (const { file, config, source, broken } of layers) {
    for (const [name, problem] of broken ?? []) {
      // A broken entry for a profile an earlier file defines leaves it broken: its settings are unknown.
      profiles.delete(name);
      brokenProfiles.set(name, problem);
    }
    for (const [name, p] of Object.entries(config.profiles ?? {})) {
      if (brokenProfiles.has(name)) continue;
      const earlier = profiles.get(name);
      if (!earlier) {
        profiles.set(name, { ...p, name, source });
        definedIn.set(name, file);
        continue;
      }
      checkLockedKeys(name, earlier, p, file, definedIn.get(name)!);
      const privileged = mergePolicy(earlier.privileged, p.privileged);
      profiles.set(name, { ...earlier, ...p, ...(privileged ? { privileged } : {}), name, source });
    }
    if (source === 'system' && config.storage === 'keychain') keychainRequired = true;
    storage = config.storage ?? storage;
    requirePeerCheck ||= Boolean(config.requirePeerCheck);
    defaultProfile = config.defaultProfile ?? defaultProfile;
    if (config.network?.caFile) caFiles.push(config.network.caFile);
    timeoutSeconds = config.network?.timeoutSeconds ?? timeoutSeconds;
    proxy = config.network?.proxy ?? proxy;
    noProxy = config.network?.noProxy ?? noProxy;
  }
  return {
    defaultProfile,
    // An admin who requires the keychain cannot be overridden by a user preferring a file.
    storage: keychainRequired ? 'keychain' : (storage ?? 'auto'),
    requirePeerCheck,
    profiles,
    network: { caFiles, timeoutSeconds, ...(proxy !== undefined ? { proxy } : {}), ...(noProxy !== undefined ? { noProxy } : {}) },
    brokenProfiles,
  };
}

function checkLockedKeys(name: string, earlier: Profile, later: Profile, file: string, systemFile: string): void {
  for (const key of LOCKED_PROFILE_KEYS) {
    const a = key === 'provider' ? (earlier.provider ?? 'generic') : earlier[key];
    const b = key === 'provider' ? (later.provider ?? 'generic') : later[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    throw new AuthctlError(
      'config_invalid',
      `${file}: profiles.${name}.${key}: profile "${name}" is defined by the system config ${systemFile}, and a later file may add settings to it but not change its ${key}; use the system's value, or give your profile another name`,
    );
  }
}

function mergePolicy(sys?: PrivilegedPolicy, user?: PrivilegedPolicy): PrivilegedPolicy | undefined {
  if (!sys) return user;
  if (!user) return sys;
  const union = (a?: string[], b?: string[]) => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);
  const shorter = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const out: PrivilegedPolicy = {
    scopes: union(sys.scopes, user.scopes),
    audiences: union(sys.audiences, user.audiences),
    resources: union(sys.resources, user.resources),
    cacheSeconds: Math.min(sys.cacheSeconds ?? 0, user.cacheSeconds ?? 0),
  };
  // Either side may make the policy stricter, never weaker.
  if (sys.requireEnrolment || user.requireEnrolment) out.requireEnrolment = true;
  if (sys.separateGrant || user.separateGrant) out.separateGrant = true;
  const session = shorter(sys.sessionSeconds, user.sessionSeconds);
  if (session !== undefined) out.sessionSeconds = session;
  const maxAge = shorter(sys.maxAge, user.maxAge);
  if (maxAge !== undefined) out.maxAge = maxAge;
  const acr = sys.acrValues ?? user.acrValues;
  if (acr !== undefined) out.acrValues = acr;
  return out;
}

/** Which profile a request means: explicit, then the configured default, then the only one. */
export function resolveProfileName(cfg: EffectiveConfig, requested?: string): string {
  const wanted = requested || cfg.defaultProfile;
  const problem = wanted ? cfg.brokenProfiles?.get(wanted) : undefined;
  if (wanted && problem) throw new AuthctlError('config_invalid', `profile "${wanted}"${requested ? '' : ' (the default)'} is invalid: ${problem}`, { profile: wanted });
  if (requested) {
    if (!cfg.profiles.has(requested)) {
      const known = [...cfg.profiles.keys()];
      throw new AuthctlError(
        'unknown_profile',
        known.length
          ? `no profile named "${requested}"${((hint) => (hint ? ` (${hint})` : ''))(didYouMean(requested, known))} (known: ${known.join(', ')})`
          : `no profile named "${requested}": add one with \`authctl profile add ${requested} --issuer URL --client-id ID\``,
      );
    }
    return requested;
  }
  if (cfg.defaultProfile && cfg.profiles.has(cfg.defaultProfile)) return cfg.defaultProfile;
  // An invalid profile still counts: "the only profile" must not silently mean another one.
  const broken = [...(cfg.brokenProfiles ?? [])];
  if (cfg.profiles.size + broken.length === 1 && broken.length === 1) {
    const [name, problem] = broken[0]!;
    throw new AuthctlError('config_invalid', `profile "${name}", the only one, is invalid: ${problem}`, { profile: name });
  }
  if (cfg.profiles.size === 1 && !broken.length) return [...cfg.profiles.keys()][0]!;
  if (cfg.profiles.has('default')) return 'default';
  if (broken.length)
    throw new AuthctlError(
      'unknown_profile',
      `several profiles are configured (${[...cfg.profiles.keys(), ...broken.map(([n]) => `${n} (invalid)`)].join(', ')}): pick one with --profile, or set the default with \`authctl profile use NAME\``,
    );
  if (cfg.profiles.size === 0)
    throw new AuthctlError('unknown_profile', 'no profile is configured: add one with `authctl profile add NAME --issuer URL --client-id ID`');
  throw new AuthctlError(
    'unknown_profile',
    `several profiles are configured (${[...cfg.profiles.keys()].join(', ')}): pick one with --profile, or set the default with \`authctl profile use NAME\``,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
