import { describe, expect, it } from 'vitest';
import { forbiddenFlags, instrumentationProblem } from './instrumentation.js';

describe('instrumentation the agent refuses', () => {
  it('finds inspector, preload and loader flags, and nothing else', () => {
    expect(forbiddenFlags(['--inspect', '--inspect=0', '--inspect-brk=9229', '--inspect-port=1', '-r', '--require=x', '--import=y', '--loader', '--experimental-loader=z', '-rfoo'])).toHaveLength(10);
    expect(forbiddenFlags(['--max-old-space-size=64', '--no-warnings', '--enable-source-maps', '--report-on-signal'])).toEqual([]);
  });

  it('says why: the inspector, execArgv or NODE_OPTIONS', () => {
    expect(instrumentationProblem([], undefined, 'ws://127.0.0.1:9229/x')).toContain('an inspector is open');
    expect(instrumentationProblem(['--inspect=0'], undefined, undefined)).toBe('it was started with --inspect=0');
    expect(instrumentationProblem([], '--max-old-space-size=64 --require ./hook.js', undefined)).toBe('NODE_OPTIONS contains --require');
    expect(instrumentationProblem([], '--max-old-space-size=64', undefined)).toBeUndefined();
  });
});
