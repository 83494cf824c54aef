/**
 * Turns the shipped templates (systemd/, launchd/) into the files `authctl service install`
 * writes: the absolute paths of this node and this authctl filled in, quoted for the
 * format they land in, and a marker line so uninstall removes only what install wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthctlError } from '../../../shared/errors.js';
import { AGENT_NODE_FLAGS } from '../../../shared/agent-node-flags.js';

export const MARKER = 'Written by `authctl service install`; `authctl service uninstall` removes it.';
export const LAUNCHD_LABEL = 'authctl.agent';

/** What the service runs: `<node> <agent node flags> <authctl> daemon --foreground`. */
export interface Executables {
  node: string;
  authctl: string;
}

/**
 * The package directory: the nearest parent holding bin/authctl.js and the templates. This
 * module runs both from client/commands/service (vitest) and from dist/client/commands/service.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'authctl.js')) && existsSync(join(dir, 'systemd', 'authctl.service'))) return dir;
    if (dirname(dir) === dir) throw new AuthctlError('internal', 'cannot find the authctl package (bin/authctl.js and systemd/) above this file; reinstall authctl');
  }
}

/** The node running now and the authctl entry of this package, both absolute. */
export function currentExecutables(): Executables {
  return { node: process.execPath, authctl: join(packageRoot(), 'bin', 'authctl.js') };
}

export function renderSystemdUnits(exe: Executables): { socket: string; service: string } {
  const values = { NODE: systemdWord(exe.node), NODE_FLAGS: AGENT_NODE_FLAGS.map(systemdWord).join(' '), AUTHCTL: systemdWord(exe.authctl) };
  return {
    socket: `# ${MARKER}\n${fill(template('systemd/authctl.socket'), {})}`,
    service: `# ${MARKER}\n${fill(template('systemd/authctl.service'), values)}`,
  };
}

export function renderLaunchdPlist(exe: Executables, logDir: string): string {
  const text = fill(template(`launchd/${LAUNCHD_LABEL}.plist`), { NODE: xmlText(exe.node), NODE_FLAGS: AGENT_NODE_FLAGS.map((f) => `    <string>${xmlText(f)}</string>\n`).join(''), AUTHCTL: xmlText(exe.authctl), LOG_DIR: xmlText(logDir) });
  // The marker goes after the XML declaration, which must stay first.
  const declEnd = text.indexOf('?>') + 2;
  return `${text.slice(0, declEnd)}\n<!-- ${MARKER} -->${text.slice(declEnd)}`;
}

export function isOurs(content: string): boolean {
  return content.includes(MARKER);
}

function template(relative: string): string {
  return readFileSync(join(packageRoot(), relative), 'utf8');
}

/** Replaces every {{NAME}}; a placeholder without a value is a bug in the template. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new AuthctlError('internal', `the service template has an unknown placeholder {{${name}}}`);
    return values[name]!;
  });
}

/**
 * One ExecStart word (systemd.service(5), "Command lines"): `%` starts a specifier and `$`
 * a variable, so both are doubled; whitespace, quotes and backslashes need double quotes.
 */
export function systemdWord(path: string): string {
  checkPrintable(path);
  const literal = path.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(path) ? `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : literal;
}

export function xmlText(s: string): string {
  checkPrintable(s);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function checkPrintable(path: string): void {
  // A newline would end the unit line (or the plist string) early and let the rest be read as settings.
  if (/[\x00-\x1f\x7f]/.test(path)) throw new AuthctlError('usage', `cannot write a service for ${JSON.stringify(path)}: the path contains a control character; move authctl or node to a plain path`);
}
