/**
 * The agent's own log files (when no journal takes its output): under the user's state
 * directory, 0600 in a 0700 directory even with a permissive umask (an autostarted agent
 * inherits the user's), rotated at a size cap, with a bounded number of files kept.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, LOG_FILE_MAX_BYTES, LOG_FILES_KEPT, Redactor } from '../../daemon/log.js';
import { logDir, stateDir } from '../../shared/paths.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';

let home: TestHome;
let umask: number;
beforeEach(() => {
  home = makeTestHome();
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
  home.cleanup();
});

describe('agent log files', () => {
  it('rotate at the size cap, keep a bounded number of files, all 0600 under the state directory', async () => {
    const dir = logDir(home.pathEnv);
    expect(dir.startsWith(stateDir(home.pathEnv) + '/')).toBe(true);
    const log = createLogger({ kind: 'file', path: join(dir, 'agent.log') }, new Redactor());
    const filler = 'x'.repeat(8 * 1024);
    const lines = Math.ceil(((LOG_FILES_KEPT + 1) * LOG_FILE_MAX_BYTES) / filler.length);
    for (let i = 0; i < lines; i++) log.info('filler', { i, filler });
    log.info('the last line');
    await log.close();

    const files = readdirSync(dir).sort();
    expect(files).toEqual(['agent.log', 'agent1.log', 'agent2.log'].slice(0, LOG_FILES_KEPT));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of files) {
      const st = statSync(join(dir, f));
      expect(st.mode & 0o777, f).toBe(0o600);
      // winston checks the size before each write, so a file may end one line past the cap.
      expect(st.size, f).toBeLessThanOrEqual(LOG_FILE_MAX_BYTES + filler.length + 200);
    }
    // tailable: the newest lines are always in agent.log, and the oldest were dropped.
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toContain('the last line');
    expect(readFileSync(join(dir, files.at(-1)!), 'utf8')).not.toContain('"i":0,');
  });
});
