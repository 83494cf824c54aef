import { describe, expect, it } from 'vitest';
import { UnsecuredJWT } from 'jose';
import { answerScopes, checkAnswerScopes } from './answer-scope.js';

const jwt = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();

describe('answerScopes', () => {
  it('joins the response scope with a JWT access token\'s scope or scp', () => {
    expect(answerScopes(['api:read'], jwt({ scope: 'api:read admin:all' })).sort()).toEqual(['admin:all', 'api:read']);
    expect(answerScopes(undefined, jwt({ scp: 'User.Read Mail.Send' }))).toEqual(['User.Read', 'Mail.Send']);
    expect(answerScopes(undefined, jwt({ scp: ['okta.a', 'okta.b'] }))).toEqual(['okta.a', 'okta.b']);
    expect(answerScopes(['x'], 'opaque-token')).toEqual(['x']);
  });
});

describe('checkAnswerScopes', () => {
  it('finds privileged scopes in an answer, whatever was asked', () => {
    expect(checkAnswerScopes(['api:read', 'admin:all'], ['api:read'], ['admin:all']).privileged).toEqual(['admin:all']);
    expect(checkAnswerScopes(['admin:all'], undefined, ['admin:all']).privileged).toEqual(['admin:all']);
  });

  it('calls an answer broader only for API scopes that were not asked for', () => {
    expect(checkAnswerScopes(['api:read', 'api:write', 'openid'], ['api:read'], []).broader).toEqual(['api:write']);
    expect(checkAnswerScopes(['api:read', 'openid', 'offline_access'], ['api:read'], []).broader).toEqual([]);
    expect(checkAnswerScopes(['api:read', 'api:write'], undefined, []).broader).toEqual([]);
  });
});
