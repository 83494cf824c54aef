/**
 * The network settings the agent uses to reach identity providers, decided once at start:
 * the config's `network.proxy`/`network.noProxy` win; without them the agent's own
 * environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: the service unit's, or the allow-listed
 * copy an autostarting CLI passes) applies. Extra CAs come from the config's
 * `network.caFile`, and from NODE_EXTRA_CA_CERTS only in the agent's own environment
 * (a service unit; the autostart never passes it). TLS is always verified.
 */
import type { EffectiveConfig } from '../shared/config.js';
import type { AgentNetworkStatus } from '../shared/api.js';

export interface NetworkPlan {
  proxy: { http: string; https: string; noProxy: string };
  caFiles: string[];
  status: AgentNetworkStatus;
}

export function planNetwork(net: EffectiveConfig['network'], env: Record<string, string | undefined>): NetworkPlan {
  const fromConfig = net.proxy !== undefined;
  const direct = net.proxy === 'direct';
  const proxy = fromConfig
    ? { http: direct ? '' : net.proxy!, https: direct ? '' : net.proxy!, noProxy: net.noProxy ?? '' }
    : { http: env.http_proxy || env.HTTP_PROXY || '', https: env.https_proxy || env.HTTPS_PROXY || '', noProxy: net.noProxy ?? env.no_proxy ?? env.NO_PROXY ?? '' };
  const envCa = env.NODE_EXTRA_CA_CERTS;
  const caFiles = [...net.caFiles, ...(envCa ? [envCa] : [])];
  return {
    proxy,
    caFiles,
    status: {
      tlsVerify: true,
      proxySource: fromConfig ? 'config' : proxy.http || proxy.https ? 'environment' : 'none',
      ...(proxy.https ? { httpsProxy: withoutCredentials(proxy.https) } : {}),
      ...(proxy.http ? { httpProxy: withoutCredentials(proxy.http) } : {}),
      ...(proxy.noProxy ? { noProxy: proxy.noProxy } : {}),
      caFiles: [...net.caFiles.map((file) => ({ file, source: 'config' as const })), ...(envCa ? [{ file: envCa, source: 'environment' as const }] : [])],
    },
  };
}

/** A proxy URL for display: user and password replaced, so status never shows a secret. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
