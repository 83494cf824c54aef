import { describe, expect, it } from 'vitest';
import { shellWord } from './self-command.js';
import { credentialUrl, helperLine } from './setup-git.js';

describe('setup-git', () => {
  it('a bare host means https; a URL is kept without its trailing slash', () => {
    expect(credentialUrl('git.example.com')).toBe('https://git.example.com');
    expect(credentialUrl('git.example.com:8443')).toBe('https://git.example.com:8443');
    expect(credentialUrl('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
    expect(credentialUrl('https://git.example.com/team/')).toBe('https://git.example.com/team');
    expect(() => credentialUrl('ssh://git.example.com')).toThrow(/not a host name or an http\(s\) URL/);
  });

  it('the helper line is one shell command that survives odd paths', () => {
    expect(helperLine(['/usr/local/bin/authctl'], 'work')).toBe('!/usr/local/bin/authctl git-credential --profile work');
    expect(helperLine(['/opt/my tools/node', "/it's/authctl.js"], 'work')).toBe(`!'/opt/my tools/node' '/it'\\''s/authctl.js' git-credential --profile work`);
    expect(shellWord('plain-word_1.2')).toBe('plain-word_1.2');
  });
});
