/**
 * Which profile answers a git remote when the helper runs without `--profile`: the first
 * profile whose `match` rule fits the protocol, host and path git sent. A remote no rule
 * fits gets no answer, so a globally configured helper never hands a token to a host it
 * was not meant for. Pure functions the Node client (client/commands/git-credential/) and
 * the agent (POST /v1/token with `gitRequest`, what the native client sends) both use.
 */
import { isLoopbackHost, type EffectiveConfig, type GitMatchRule } from './config.js';

/** What of git's request the choice depends on (git-credential(1) attributes). */
export interface GitRemote {
  protocol?: string;
  host?: string;
  path?: string;
}

export function matchProfile(cfg: EffectiveConfig, cred: GitRemote): string | undefined {
  for (const profile of cfg.profiles.values()) {
    if (profile.match?.some((rule) => ruleMatches(rule, cred))) return profile.name;
  }
  return undefined;
}

export function ruleMatches(rule: GitMatchRule, cred: GitRemote): boolean {
  if (!cred.host || !cred.protocol) return false;
  if (cred.protocol !== (rule.protocol ?? 'https')) return false;
  if (!hostMatches(rule.host, cred.host)) return false;
  // git sends a path only with credential.useHttpPath=true; without one, a path rule cannot match.
  if (rule.path !== undefined) return pathHasPrefix(cred.path ?? '', rule.path);
  return true;
}

/** `*.example.com` matches any subdomain (not the apex); a pattern without a port matches any port. */
export function hostMatches(pattern: string, host: string): boolean {
  const [pHost, pPort] = splitPort(pattern.toLowerCase());
  const [hHost, hPort] = splitPort(host.toLowerCase());
  if (pPort !== undefined && pPort !== hPort) return false;
  if (pHost.startsWith('*.')) return hHost.endsWith(pHost.slice(1)) && hHost.length > pHost.length - 1;
  return pHost === hHost;
}

function splitPort(hostport: string): [string, string | undefined] {
  const m = /^(.*?)(?::(\d+))?$/.exec(hostport)!;
  // An IPv6 literal keeps its brackets; its colons are not a port.
  if (hostport.startsWith('[') && !hostport.includes(']:')) return [hostport, undefined];
  return [m[1]!, m[2]];
}

function pathHasPrefix(path: string, prefix: string): boolean {
  const p = normalisePath(path);
  const want = normalisePath(prefix);
  return p === want || p.startsWith(want + '/') || p === want + '.git' || p.startsWith(want + '.git/');
}

/**
 * RFC 3986 §5.2.4 "Remove Dot Segments", as the server will apply it: `team/repo/../../other`
 * is `other`, and must not match a rule for `team/repo`. `%2e` counts as a dot (WHATWG URL does
 * the same), empty segments are dropped, and `..` never climbs above the root.
 */
export function normalisePath(path: string): string {
  const out: string[] = [];
  for (const raw of path.split('/')) {
    const seg = raw.replace(/%2e/gi, '.');
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(raw);
  }
  return out.join('/');
}

/** A token may cross plain http only to this machine. */
export function transportAllowsToken(cred: GitRemote): boolean {
  if (cred.protocol === 'https') return true;
  if (cred.protocol !== 'http' || !cred.host) return false;
  return isLoopbackHost(splitPort(cred.host)[0]);
}
