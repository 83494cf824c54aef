import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { colourWanted, styleFor } from './style.js';

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ CLICOLOR_FORCE: '1' }, false, true],
    [{ CLICOLOR_FORCE: '0' }, false, false],
    [{ CLICOLOR_FORCE: '1', NO_COLOR: '1' }, true, false],
  ])('env %j, terminal %s → colour %s', (env, tty, expected) => {
    expect(colourWanted(env, tty)).toBe(expected);
  });

  it('keeps the marks without colour and paints only the mark with it', () => {
    const plain = styleFor(new PassThrough(), {});
    expect([plain.ok('done'), plain.warn('careful'), plain.fail('broken')]).toEqual(['✓ done', '! careful', 'X broken']);
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(styleFor(tty, { TERM: 'xterm' }).fail('broken')).toBe('\x1b[31mX\x1b[0m broken');
    expect(styleFor(tty, { TERM: 'xterm', NO_COLOR: '1' }).ok('done')).toBe('✓ done');
  });
});
