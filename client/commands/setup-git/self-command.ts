/**
 * How git and kubectl should start this authctl: by the absolute path of the running
 * entry point (as `gh auth setup-git` does), through node when that file is not executable.
 * Run as the Node CLI's bin/authctl.js, the entry is the command npm links beside it,
 * bin/authctl, when present: after an install whose native client built, that is the client,
 * which answers git's and kubectl's cached requests without starting Node.
 */
import { accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** argv for starting authctl, e.g. ['/usr/local/bin/authctl'] or [node, '/path/bin/authctl.js']. */
export function selfCommand(entry = process.argv[1]): string[] {
  if (!entry) return ['authctl'];
  const path = resolve(entry);
  const command = join(dirname(path), 'authctl');
  if (basename(path) === 'authctl.js' && basename(dirname(path)) === 'bin' && executable(command)) return [command];
  return executable(path) ? [path] : [process.execPath, path];
}

/** A word for sh that stays one word whatever it holds. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
