/**
 * Which profile answers a docker registry, and whether a token may cross to it: pure
 * functions the Node client (client/commands/docker-credential/) and the agent (POST
 * /v1/token with `registry`, what the native client sends) both use, so both resolve alike.
 */
import { isLoopbackHost, type EffectiveConfig, type ResolvedProfile } from './config.js';

/** The username docker sends with the token when the profile sets no `registryUsername`. */
export const DEFAULT_REGISTRY_USERNAME = 'oauth2';

/** The first profile (in config order) whose `registries` name the registry's host. */
export function profileForRegistry(cfg: EffectiveConfig, serverUrl: string): ResolvedProfile | undefined {
  const host = registryHost(serverUrl);
  if (!host) return undefined;
  for (const p of cfg.profiles.values()) if (p.registries?.some((r) => registryHost(r) === host)) return p;
  return undefined;
}

/**
 * The registry's address when docker names a transport a token must not cross: plain http
 * (an insecure registry) to anything but this machine, or a scheme that is not http(s).
 * A bare host means https to docker, unless the daemon lists it as insecure, which the
 * helper cannot know: only what docker spells out is judged.
 */
export function insecureTransport(serverUrl: string): string | undefined {
  const s = serverUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'https') return undefined;
  const url = URL.parse(s);
  if (scheme === 'http' && url && isLoopbackHost(url.hostname)) return undefined;
  return s;
}

/** `https://Registry.example.com/v2/` and `registry.example.com` name the same registry. */
export function registryHost(serverUrl: string): string | undefined {
  const s = serverUrl.trim();
  if (!s) return undefined;
  const url = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`);
  return url?.host.toLowerCase() || undefined;
}
