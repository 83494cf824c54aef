import { describe, expect, it } from 'vitest';
import { AuthctlError } from '../../../shared/errors.js';
import { execCredential, parseExecInfo, sameServer } from './exec-info.js';

describe('kubectl ExecCredential', () => {
  it('reads the apiVersion, interactive and the cluster audience', () => {
    const info = {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: { interactive: true, cluster: { server: 'https://k', config: { audience: 'https://kube.example.com' } } },
    };
    expect(parseExecInfo(JSON.stringify(info))).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', interactive: true, audience: 'https://kube.example.com', server: 'https://k' });
    expect(parseExecInfo(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', spec: { interactive: false } }))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      interactive: false,
    });
  });

  it('without KUBERNETES_EXEC_INFO (an old kubectl): v1beta1, never interactive', () => {
    expect(parseExecInfo(undefined)).toEqual({ apiVersion: 'client.authentication.k8s.io/v1beta1', interactive: false });
  });

  it('refuses versions it does not speak and text that is not JSON, as usage errors', () => {
    for (const raw of ['{"apiVersion":"client.authentication.k8s.io/v1alpha1"}', 'not json']) {
      const err = (() => {
        try {
          parseExecInfo(raw);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AuthctlError);
      expect((err as AuthctlError).code).toBe('usage');
    }
  });

  it('compares API servers as URLs: case, default port and a trailing slash do not matter; anything else does', () => {
    expect(sameServer('https://K8s.example.com:443/', 'https://k8s.example.com')).toBe(true);
    expect(sameServer('https://k8s.example.com:6443', 'https://k8s.example.com:6443/')).toBe(true);
    expect(sameServer('https://k8s.example.com:6443', 'https://k8s.example.com:6444')).toBe(false);
    expect(sameServer('https://k8s.example.com', 'http://k8s.example.com')).toBe(false);
    expect(sameServer('https://k8s.example.com', 'https://k8s.example.com.evil.invalid')).toBe(false);
    expect(sameServer('https://k8s.example.com/a', 'https://k8s.example.com/b')).toBe(false);
    expect(sameServer('not a url', 'not a url')).toBe(false);
  });

  it('prints the same apiVersion, the token and an RFC 3339 expiry (none for a pre-issued token)', () => {
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', 1_900_000_000))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'tok', expirationTimestamp: '2030-03-17T17:46:40Z' },
    });
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1beta1', 'tok', 0)).status).toEqual({ token: 'tok' });
  });
});
