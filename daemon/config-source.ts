/**
 * Reads the system and user config files and keeps the merged result, re-reading a file
 * only when its mtime or size changed (the CLI edits the user file while the agent runs).
 * A broken file is reported with its name and problem, never a stack trace.
 */
import { statSync, readFileSync } from 'node:fs';
import { AuthctlError } from '../shared/errors.js';
import { mergeConfigs, parseConfigText, type ConfigFile, type EffectiveConfig } from '../shared/config.js';

interface FileState {
  stamp: string;
  config: ConfigFile;
  error?: AuthctlError;
}

export class ConfigSource {
  private readonly files: Record<'system' | 'user', { path: string; state?: FileState }>;
  private merged?: EffectiveConfig;

  constructor(systemFile: string, userFile: string) {
    this.files = { system: { path: systemFile }, user: { path: userFile } };
  }

  /** The effective config; throws config_invalid if either file is broken. */
  current(): EffectiveConfig {
    let changed = false;
    for (const f of Object.values(this.files)) {
      const stamp = stampOf(f.path);
      if (f.state?.stamp === stamp) continue;
      changed = true;
      f.state = readState(f.path, stamp);
    }
    const broken = this.errors();
    if (broken.length) throw new AuthctlError('config_invalid', broken.join('; '));
    if (changed || !this.merged) this.merged = mergeConfigs(this.files.system.state!.config, this.files.user.state!.config);
    return this.merged;
  }

  errors(): string[] {
    return Object.values(this.files)
      .map((f) => f.state?.error?.message)
      .filter((m): m is string => Boolean(m));
  }
}

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'missing';
  }
}

function readState(path: string, stamp: string): FileState {
  if (stamp === 'ENOENT') return { stamp, config: {} };
  try {
    return { stamp, config: parseConfigText(readFileSync(path, 'utf8'), path) };
  } catch (e) {
    if (e instanceof AuthctlError) return { stamp, config: {}, error: e };
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { stamp, config: {}, error: new AuthctlError('config_invalid', `${path}: cannot read (${code})`) };
  }
}
