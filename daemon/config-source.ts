/**
 * Reads the system and user config files and keeps the merged result, re-reading a file
 * only when its mtime or size changed (the CLI edits the user file while the agent runs).
 * A broken file is reported with its name and problem, never a stack trace.
 *
 * The system files are the fixed one (shared/paths.ts systemConfigFile) and, optionally, an
 * added one; an added file never replaces the fixed one. A config file reached through a
 * symbolic link is followed only when the link is yours or root's (someone who could plant
 * a link in your config directory must not choose what it points at).
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { AuthctlError } from '../shared/errors.js';
import { mergeConfigFiles, parseConfigText, type ConfigFile, type EffectiveConfig } from '../shared/config.js';

interface FileState {
  stamp: string;
  config: ConfigFile;
  /** Its invalid profiles, left out (each named with its problem) so the others keep working. */
  broken?: Map<string, string>;
  error?: AuthctlError;
}

interface Watched {
  path: string;
  state?: FileState;
}

export class ConfigSource {
  private readonly system: Watched[];
  private readonly user: Watched;
  private merged?: EffectiveConfig;
  private mergeError?: AuthctlError;

  constructor(
    systemFiles: string | string[],
    userFile: string,
    private readonly uid = process.getuid?.() ?? -1,
  ) {
    this.system = (Array.isArray(systemFiles) ? systemFiles : [systemFiles]).map((path) => ({ path }));
    this.user = { path: userFile };
  }

  /** The effective config; throws config_invalid if a file is broken or the files conflict. */
  current(): EffectiveConfig {
    let changed = false;
    for (const f of [...this.system, this.user]) {
      const stamp = stampOf(f.path);
      if (f.state?.stamp === stamp) continue;
      changed = true;
      f.state = readState(f.path, stamp, this.uid);
    }
    const broken = this.errors();
    if (broken.length) throw new AuthctlError('config_invalid', broken.join('; '));
    if (changed || (!this.merged && !this.mergeError)) {
      try {
        this.merged = mergeConfigFiles(
          this.system.map((f) => ({ file: f.path, config: f.state!.config, broken: f.state!.broken })),
          { file: this.user.path, config: this.user.state!.config, broken: this.user.state!.broken },
        );
        this.mergeError = undefined;
      } catch (e) {
        this.merged = undefined;
        this.mergeError = e instanceof AuthctlError ? e : new AuthctlError('config_invalid', (e as Error).message);
      }
    }
    if (this.mergeError) throw this.mergeError;
    return this.merged!;
  }

  errors(): string[] {
    return [...this.system, this.user]
      .map((f) => f.state?.error?.message)
      .filter((m): m is string => Boolean(m));
  }
}

/**
 * The file's identity and version, from one lstat (two for a link). Runs on every request,
 * so a missing file (the usual system config) must not cost an exception: with
 * throwIfNoEntry the ENOENT case is a plain undefined (an Error with its stack trace was
 * a fifth of a cached answer's time in the agent, measured with --cpu-prof).
 */
function stampOf(path: string): string {
  try {
    const link = lstatSync(path, { throwIfNoEntry: false });
    if (!link) return 'ENOENT';
    const st = link.isSymbolicLink() ? statSync(path, { throwIfNoEntry: false }) : link;
    if (!st) return 'ENOENT';
    return `${st.mtimeMs}:${st.size}:${st.ino}:${link.ino}:${link.uid}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'missing';
  }
}

function readState(path: string, stamp: string, uid: number): FileState {
  if (stamp === 'ENOENT') return { stamp, config: {} };
  try {
    checkLinkOwner(path, uid);
    const broken = new Map<string, string>();
    return { stamp, config: parseConfigText(readFileSync(path, 'utf8'), path, broken), broken };
  } catch (e) {
    if (e instanceof AuthctlError) return { stamp, config: {}, error: e };
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { stamp, config: {}, error: new AuthctlError('config_invalid', `${path}: cannot read (${code})`) };
  }
}

/** Refuses a config path that is a symbolic link owned by someone other than you or root. */
export function checkLinkOwner(path: string, uid: number): void {
  const st = lstatSync(path);
  if (!st.isSymbolicLink() || uid < 0 || st.uid === uid || st.uid === 0) return;
  throw new AuthctlError(
    'config_invalid',
    `${path}: is a symbolic link owned by uid ${st.uid}, not by you (uid ${uid}); not following it: remove it and write the file yourself`,
  );
}
