import { describe, expect, it } from 'vitest';
import { planNetwork, withoutCredentials } from './network.js';

describe('the network settings in effect', () => {
  const env = { HTTPS_PROXY: 'http://env-proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ssl/corp.pem' };

  it("the config's proxy wins over the environment; CA files come from both", () => {
    const plan = planNetwork({ caFiles: ['/etc/authctl/ca.pem'], proxy: 'http://cfg-proxy:8080', noProxy: '.corp' }, env);
    expect(plan.proxy).toEqual({ http: 'http://cfg-proxy:8080', https: 'http://cfg-proxy:8080', noProxy: '.corp' });
    expect(plan.caFiles).toEqual(['/etc/authctl/ca.pem', '/etc/ssl/corp.pem']);
    expect(plan.status).toMatchObject({ tlsVerify: true, proxySource: 'config', caFiles: [{ file: '/etc/authctl/ca.pem', source: 'config' }, { file: '/etc/ssl/corp.pem', source: 'environment' }] });
  });

  it('"direct" turns an environment proxy off; without config the environment applies', () => {
    expect(planNetwork({ caFiles: [], proxy: 'direct' }, env).proxy).toEqual({ http: '', https: '', noProxy: '' });
    expect(planNetwork({ caFiles: [] }, env).status).toMatchObject({ proxySource: 'environment', httpsProxy: 'http://env-proxy:3128', noProxy: 'localhost' });
    expect(planNetwork({ caFiles: [] }, {}).status).toMatchObject({ proxySource: 'none', caFiles: [] });
  });

  it('never shows proxy credentials', () => {
    expect(withoutCredentials('http://user:secret@proxy:3128')).toBe('http://***@proxy:3128/');
    expect(planNetwork({ caFiles: [], proxy: 'http://user:secret@proxy:3128' }, {}).status.httpsProxy).not.toContain('secret');
  });
});
