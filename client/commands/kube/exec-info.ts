/**
 * kubectl's exec credential plugin contract (client.authentication.k8s.io v1 and v1beta1):
 * what KUBERNETES_EXEC_INFO says, and the ExecCredential to print.
 */
import { AuthctlError } from '../../../shared/errors.js';

export const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof API_VERSIONS)[number];

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  /** False when kubectl says no one can answer a prompt (interactiveMode Never, or no terminal). */
  interactive: boolean;
  /** spec.cluster.config.audience, from the cluster's `client.authentication.k8s.io/exec` extension. */
  audience?: string;
  /** spec.cluster.server: the API server kubectl is about to send the credential to (provideClusterInfo). */
  server?: string;
}

/** Parses KUBERNETES_EXEC_INFO; without it (an old kubectl) assume v1beta1 and no prompts. */
export function parseExecInfo(raw: string | undefined): ExecInfo {
  if (!raw) return { apiVersion: 'client.authentication.k8s.io/v1beta1', interactive: false };
  let info: { apiVersion?: unknown; spec?: { interactive?: unknown; cluster?: { server?: unknown; config?: { audience?: unknown } } } };
  try {
    info = JSON.parse(raw);
  } catch {
    throw new AuthctlError('usage', 'KUBERNETES_EXEC_INFO is not JSON: run `authctl kube` from kubectl (see `authctl setup-kube`)');
  }
  const apiVersion = info.apiVersion as ExecApiVersion;
  if (!API_VERSIONS.includes(apiVersion))
    throw new AuthctlError('usage', `kubectl asked for ExecCredential ${String(info.apiVersion)}; authctl speaks ${API_VERSIONS.join(' and ')}`);
  const audience = info.spec?.cluster?.config?.audience;
  const server = info.spec?.cluster?.server;
  return {
    apiVersion,
    interactive: info.spec?.interactive === true,
    ...(typeof audience === 'string' && audience ? { audience } : {}),
    ...(typeof server === 'string' && server ? { server } : {}),
  };
}

/** Scheme, host and port compared as URLs (default ports, case), the path without a trailing slash. */
export function sameServer(a: string, b: string): boolean {
  const norm = (s: string) => {
    const u = URL.parse(s);
    return u ? `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}` : undefined;
  };
  const na = norm(a);
  return na !== undefined && na === norm(b);
}

export function execCredential(apiVersion: ExecApiVersion, token: string, expiresAt: number): string {
  const status: Record<string, string> = { token };
  // Without an expiry kubectl keeps the credential for the life of the process (a pre-issued token).
  if (expiresAt > 0) status.expirationTimestamp = new Date(expiresAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', status }) + '\n';
}
