import { describe, expect, it } from 'vitest';
import { KeyedMutex, SingleFlight } from './keyed-mutex.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedMutex', () => {
  it('runs one task at a time per key, and never blocks other keys', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    let release!: () => void;
    const held = m.run('a', async () => {
      order.push('a1 start');
      await new Promise<void>((r) => (release = r));
      order.push('a1 end');
    });
    const second = m.run('a', async () => order.push('a2'));
    await m.run('b', async () => order.push('b'));
    expect(order).toEqual(['a1 start', 'b']);
    release();
    await Promise.all([held, second]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });

  it('a failing task releases the lock', async () => {
    const m = new KeyedMutex();
    await expect(m.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await m.run('a', async () => 'next')).toBe('next');
  });
});

describe('SingleFlight', () => {
  it('shares one in-flight promise per key, then starts fresh', async () => {
    const f = new SingleFlight<number>();
    let calls = 0;
    const work = async () => {
      calls++;
      await tick();
      return calls;
    };
    const results = await Promise.all([f.run('k', work), f.run('k', work), f.run('k', work)]);
    expect(results).toEqual([1, 1, 1]);
    expect(await f.run('k', work)).toBe(2);
  });
});
