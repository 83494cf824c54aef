/**
 * Text from outside (an identity provider's error description, a verification URI or user
 * code, a requester's scopes or executable path, what git, docker or kubectl sent) made safe
 * to print on a terminal. A raw ESC can move the cursor, rewrite earlier lines, set the
 * window title or hide text (OSC 8 links), so a hostile provider or process could forge what
 * a person reads, an OTP prompt above all. As gh does, C0 controls (except tab, and newline
 * where a line break is meant), DEL and C1 controls are shown in caret notation: ESC becomes
 * "^[", the single-byte CSI U+009B becomes "^[[". Pure and small: the token path imports it.
 */

// C0 except \t and \n, DEL, C1; \n is handled by the caller's mode.
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f\x80-\x9f]/g;
const CONTROLS_KEEP_NEWLINE = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g;

function caret(c: string): string {
  const code = c.charCodeAt(0);
  if (code === 0x7f) return '^?';
  // C1 (0x80-0x9f) is the 7-bit "ESC x" form: ESC followed by code - 0x40.
  if (code >= 0x80) return `^[${String.fromCharCode(code - 0x40)}`;
  return `^${String.fromCharCode(code + 0x40)}`;
}

/** One line of outside text: every control character (newlines too) shown visibly. */
export function terminalSafe(text: unknown): string {
  return String(text ?? '').replace(CONTROLS, caret);
}

/** Outside text where a line break is meant (a message of several lines): only \n is kept. */
export function terminalSafeLines(text: unknown): string {
  return String(text ?? '').replace(CONTROLS_KEEP_NEWLINE, caret);
}
