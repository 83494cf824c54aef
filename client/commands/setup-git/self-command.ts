/**
 * How git and kubectl should start this authctl: by the absolute path of the running
 * entry point (as `gh auth setup-git` does), through node when that file is not executable.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';

/** argv for starting authctl, e.g. ['/usr/local/bin/authctl'] or [node, '/path/bin/authctl.js']. */
export function selfCommand(entry = process.argv[1]): string[] {
  if (!entry) return ['authctl'];
  const path = resolve(entry);
  try {
    accessSync(path, constants.X_OK);
    return [path];
  } catch {
    return [process.execPath, path];
  }
}

/** A word for sh that stays one word whatever it holds. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
