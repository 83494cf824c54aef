import { describe, expect, it } from 'vitest';
import { credentialArgs } from './setup-kube.js';

describe('setup-kube', () => {
  it('the kubeconfig user runs `authctl kube --profile P`, v1, IfAvailable, with cluster info', () => {
    expect(credentialArgs('authctl-work', ['/node', '/bin/authctl.js'], 'work')).toEqual([
      'config',
      'set-credentials',
      'authctl-work',
      '--exec-command=/node',
      '--exec-api-version=client.authentication.k8s.io/v1',
      '--exec-arg=/bin/authctl.js',
      '--exec-arg=kube',
      '--exec-arg=--profile',
      '--exec-arg=work',
      '--exec-interactive-mode=IfAvailable',
      '--exec-provide-cluster-info=true',
    ]);
  });
});
