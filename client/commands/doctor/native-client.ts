/**
 * The doctor's look at the native hot-path client (native/client/): whether the commands
 * npm put on PATH are that client (an install whose build succeeded), only built beside a
 * checkout, or not built at all, in which case every call starts Node.js. A missing client is
 * a warning: everything still works, only slower.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Check } from './doctor.js';

/** The package directory: the nearest one above this file holding bin/authctl.js (source or dist/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'authctl.js')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** ELF or Mach-O: a compiled program rather than the Node launcher script. */
export function isNativeProgram(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(4);
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
    const magic = head.readUInt32BE(0);
    return magic === 0x7f454c46 || [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(magic);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function nativeClientCheck(root = packageRoot(), platform = process.platform): Check {
  const name = 'native client';
  if (platform === 'win32') return { level: 'ok', name, detail: 'not used on Windows: the Node CLI answers every command' };
  if (!root) return { level: 'warn', name, detail: 'cannot find the package directory: every command starts Node.js' };
  const onPath = join(root, 'bin', 'authctl');
  const built = join(root, 'native', 'client', 'build', 'authctl');
  if (isNativeProgram(onPath)) return { level: 'ok', name, detail: `in use: ${onPath} answers cached tokens without starting Node.js` };
  if (existsSync(built))
    return { level: 'ok', name, detail: `built at ${built}; the commands npm links from this checkout start Node.js (put ${dirname(built)} on PATH for the native path)` };
  const log = join(root, 'native', 'client', 'build', 'build.log');
  return {
    level: 'warn',
    name,
    detail: `not built (a C compiler is needed at install): every command starts Node.js${existsSync(log) ? ` (see ${log})` : ''}; install cc and run \`node ${join(root, 'scripts', 'build-native.mjs')}\``,
  };
}
