import { describe, expect, it } from 'vitest';
import { AuthctlError } from '../../../shared/errors.js';
import { execCredential, parseExecInfo } from './exec-info.js';

describe('kubectl ExecCredential', () => {
  it('reads the apiVersion, interactive and the cluster audience', () => {
    const info = {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: { interactive: true, cluster: { server: 'https://k', config: { audience: 'https://kube.example.com' } } },
    };
    expect(parseExecInfo(JSON.stringify(info))).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', interactive: true, audience: 'https://kube.example.com' });
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

  it('prints the same apiVersion, the token and an RFC 3339 expiry (none for a pre-issued token)', () => {
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1', 'tok', 1_900_000_000))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'tok', expirationTimestamp: '2030-03-17T17:46:40Z' },
    });
    expect(JSON.parse(execCredential('client.authentication.k8s.io/v1beta1', 'tok', 0)).status).toEqual({ token: 'tok' });
  });
});
