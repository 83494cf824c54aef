import { describe, expect, it } from 'vitest';
import { PeerCounts } from './connection-limits.js';

describe('connections per peer', () => {
  it('a peer gets at most its share; others are not affected; a released slot can be taken again', () => {
    const counts = new PeerCounts(3);
    expect([1, 2, 3, 4].map(() => counts.take('pid 10'))).toEqual([true, true, true, false]);
    expect(counts.take('pid 11')).toBe(true);
    expect(counts.held('pid 10')).toBe(3);
    counts.release('pid 10');
    expect(counts.take('pid 10')).toBe(true);
    expect(counts.take('pid 10')).toBe(false);
    for (let i = 0; i < 3; i++) counts.release('pid 10');
    expect(counts.held('pid 10')).toBe(0);
  });
});
