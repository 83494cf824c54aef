import { describe, expect, it } from 'vitest';
import { validateConfig } from './config.js';
import { collectFederationInput } from './federation.js';

const base = { issuer: 'https://idp.example', clientId: 'ci-app', scopes: [] };
const withFederation = (federation: unknown) => ({ profiles: { ci: { ...base, federation } } });

describe('federation config', () => {
  it('accepts each source with exactly its setting', () => {
    for (const federation of [
      { source: 'github-actions', audience: 'https://idp.example', exchange: 'token-exchange' },
      { source: 'github-actions', exchange: 'client-assertion' },
      { source: 'gitlab', variable: 'AUTHCTL_ID_TOKEN', exchange: 'token-exchange' },
      { source: 'env', variable: 'MY_TOKEN', exchange: 'client-assertion' },
      { source: 'file', path: '/var/run/secrets/tokens/ci', exchange: 'token-exchange' },
    ]) {
      expect(validateConfig(withFederation(federation), 'cfg.json').profiles!.ci!.federation).toEqual(federation);
    }
  });

  it('a CI profile may name only a token endpoint (Google STS publishes no discovery)', () => {
    const sts = { ...base, issuer: 'https://sts.googleapis.com', endpoints: { token: 'https://sts.googleapis.com/v1/token' }, federation: { source: 'file', path: '/t', exchange: 'token-exchange' } };
    expect(validateConfig({ profiles: { ci: sts } }, 'cfg.json').profiles!.ci!.endpoints).toEqual({ token: 'https://sts.googleapis.com/v1/token' });
    const { federation: _f, ...login } = sts;
    expect(() => validateConfig({ profiles: { ci: login } }, 'cfg.json')).toThrowError(/endpoints.deviceAuthorization is missing/);
  });

  it.each([
    ['not an object', 'github-actions', /federation must be an object/],
    ['an unknown source', { source: 'jenkins', exchange: 'token-exchange' }, /federation.source must be one of github-actions, gitlab, env, file/],
    ['no exchange', { source: 'github-actions' }, /federation.exchange must be one of token-exchange, client-assertion/],
    ['gitlab without variable', { source: 'gitlab', exchange: 'token-exchange' }, /source "gitlab" needs "variable"/],
    ['a bad variable name', { source: 'env', variable: 'A-B', exchange: 'token-exchange' }, /federation.variable "A-B" is not a variable name/],
    ['AUTHCTL_TOKEN as variable', { source: 'env', variable: 'AUTHCTL_TOKEN', exchange: 'token-exchange' }, /reserved/],
    ['a relative path', { source: 'file', path: 'token', exchange: 'token-exchange' }, /needs "path", the absolute path/],
    ['a path for github', { source: 'github-actions', path: '/x', exchange: 'token-exchange' }, /federation.path is for source "file" only/],
    ['an audience for env', { source: 'env', variable: 'T', audience: 'x', exchange: 'token-exchange' }, /audience is for source "github-actions" only/],
    ['an unknown key', { source: 'env', variable: 'T', exchange: 'token-exchange', secret: 'x' }, /federation: unknown setting "secret"/],
  ])('rejects %s', (_what, federation, message) => {
    expect(() => validateConfig(withFederation(federation), 'cfg.json')).toThrowError(message);
  });
});

describe('collectFederationInput', () => {
  it('reads only what the agent asked for', () => {
    const env = { GITHUB_ACTIONS: 'true', ACTIONS_ID_TOKEN_REQUEST_URL: 'https://gh/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'rt', MY_TOKEN: ' a.b.c\n', OTHER: 'secret' };
    expect(collectFederationInput(env, { source: 'github-actions' })).toEqual({ ci: 'github-actions', requestUrl: 'https://gh/x', requestToken: 'rt' });
    expect(collectFederationInput(env, { source: 'env', variable: 'MY_TOKEN' })).toEqual({ ci: 'github-actions', identityToken: 'a.b.c' });
    expect(collectFederationInput({ AUTHCTL_TOKEN: 'pat' }, { source: 'env', variable: 'AUTHCTL_TOKEN' })).toEqual({});
    expect(collectFederationInput({ GITLAB_CI: 'true' }, { source: 'file' })).toEqual({ ci: 'gitlab' });
  });
});
