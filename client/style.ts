/**
 * gh-style status marks for lines people read: ✓ ok, ! warning, X failure. The marks are
 * always there (they carry meaning in a log too); colour only when the stream is a
 * terminal, never with NO_COLOR set (no-color.org), always with CLICOLOR_FORCE set (not "0").
 */
import type { Writable } from 'node:stream';

export interface Style {
  readonly colour: boolean;
  ok(text: string): string;
  warn(text: string): string;
  fail(text: string): string;
  /** The mark alone, coloured: for a prefix on a line whose text stays plain. */
  mark(level: 'ok' | 'warn' | 'fail'): string;
}

const SGR = { ok: '32', warn: '33', fail: '31' } as const;
const MARK = { ok: '✓', warn: '!', fail: 'X' } as const;

export function colourWanted(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.CLICOLOR_FORCE && env.CLICOLOR_FORCE !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}

export function styleFor(stream: Writable, env: Record<string, string | undefined>): Style {
  const colour = colourWanted(env, Boolean((stream as { isTTY?: boolean }).isTTY));
  const paint = (level: keyof typeof SGR, s: string) => (colour ? `\x1b[${SGR[level]}m${s}\x1b[0m` : s);
  const mark = (level: keyof typeof SGR) => paint(level, MARK[level]);
  return {
    colour,
    mark,
    ok: (text) => `${mark('ok')} ${text}`,
    warn: (text) => `${mark('warn')} ${text}`,
    fail: (text) => `${mark('fail')} ${text}`,
  };
}
