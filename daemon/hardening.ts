/**
 * Process hardening at agent start: no inspector on SIGUSR1, not dumpable, no core
 * files, and the peer-credential check, all through the small native addon. Without
 * the addon the agent still runs on directory permissions alone and says so once.
 */
import type { Logger } from './log.js';
import { loadNative, nativeLoadError, peerOf } from './native.js';

export interface Hardening {
  peerIdentifier?: (socket: import('node:net').Socket) => { uid: number; gid: number; pid: number } | null;
  nonDumpable: boolean;
  coreDisabled: boolean;
  /** Why the peer check is off, when the addon did not load. */
  peerCheckProblem?: string;
}

export function hardenAgentProcess(log: Logger, wholeProcess: boolean): Hardening {
  // Node opens the inspector on SIGUSR1 unless someone listens for it.
  if (process.listenerCount('SIGUSR1') === 0) process.on('SIGUSR1', () => log.warn('ignored SIGUSR1 (the inspector stays closed)'));
  const native = loadNative();
  if (!native) {
    log.warn('native addon unavailable: peer check unavailable, the agent relies on the socket directory permissions alone; rebuild it with `node scripts/build-native.mjs`', {
      reason: nativeLoadError()?.message,
    });
    return { nonDumpable: false, coreDisabled: false, peerCheckProblem: nativeLoadError()?.message ?? 'the native addon did not load' };
  }
  let result = { nonDumpable: false, coreDisabled: false };
  try {
    if (wholeProcess) result = native.hardenProcess();
  } catch (e) {
    log.warn('could not harden the process', { reason: (e as Error).message });
  }
  if (wholeProcess && (!result.coreDisabled || (process.platform === 'linux' && !result.nonDumpable))) {
    log.warn('the process is only partly hardened: same-user debuggers or core files may see its memory', result);
  }
  return { ...result, peerIdentifier: (socket) => peerOf(socket) };
}
