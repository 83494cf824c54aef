import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeLines } from './terminal-text.js';

describe('terminal-safe text', () => {
  it('shows C0 controls, DEL and C1 controls in caret notation, as gh does', () => {
    expect(terminalSafe('a\x1b[2Jb')).toBe('a^[[2Jb');
    expect(terminalSafe('\x1b]0;title\x07')).toBe('^[]0;title^G');
    expect(terminalSafe('x\u009b31my')).toBe('x^[[31my');
    expect(terminalSafe('\u0085\u009d')).toBe('^[E^[]');
    expect(terminalSafe('\x00\x7f\r')).toBe('^@^?^M');
  });

  it('one line: a newline is shown too, so outside text cannot forge a line of its own', () => {
    expect(terminalSafe('code\nauthctl: approved')).toBe('code^Jauthctl: approved');
    expect(terminalSafeLines('line one\nline two\r\n')).toBe('line one\nline two^M\n');
  });

  it('leaves ordinary text alone: tabs, punctuation, and Unicode beyond C1', () => {
    const text = 'https://idp.example.com/device?code=ABCD-1234\tÄÖü → ✓ 漢字';
    expect(terminalSafe(text)).toBe(text);
    expect(terminalSafeLines(text)).toBe(text);
  });

  it('takes anything and never throws (undefined prints as nothing)', () => {
    expect(terminalSafe(undefined)).toBe('');
    expect(terminalSafe(42)).toBe('42');
  });
});
