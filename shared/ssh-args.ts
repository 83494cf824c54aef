/**
 * OpenSSH's command line, as ssh(1) parses it with getopt: which options take a value, where
 * the destination is, and where the remote command starts. Used by `authctl ssh` (to wrap the
 * command) and by the agent (to name the destination of a forwarded connection from the ssh
 * client's argv). Pure functions; OpenSSH 9.x options.
 */

/** Options that take a value (`-p 22` or `-p22`), from ssh(1)'s synopsis. */
export const SSH_OPTIONS_WITH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));
/** Options that are flags and may be bundled (`-vvt`). */
export const SSH_FLAGS = new Set('46AaCfGgKkMNnqsTtVvXxYy'.split(''));

export interface SshCommandLine {
  /** Every option, in order, each as the argv words it came in. */
  options: string[];
  destination: string;
  /** The remote command's words (ssh joins them with spaces for the remote shell). */
  command: string[];
  /** Single-letter flags seen (e.g. "t", "T", "N"), for deciding on a terminal. */
  flags: Set<string>;
}

export class SshArgsError extends Error {}

/**
 * Splits `argv` (without the program name) like ssh does: options, the first non-option
 * word is the destination, options may follow it (ssh restarts getopt after the host), and
 * the next non-option word starts the command. `--` ends the options.
 */
export function parseSshArgs(argv: readonly string[]): SshCommandLine {
  const options: string[] = [];
  const flags = new Set<string>();
  let destination: string | undefined;
  let i = 0;
  let terminated = false;
  while (i < argv.length) {
    const word = argv[i];
    if (!terminated && word === '--') {
      terminated = true;
      options.push(word);
      i++;
      continue;
    }
    if (terminated || !word.startsWith('-') || word === '-') {
      if (destination !== undefined) break;
      destination = word;
      i++;
      // ssh(1) allows options again after the destination, unless `--` came first.
      continue;
    }
    const taken = takeOption(argv, i, flags);
    options.push(...argv.slice(i, i + taken));
    i += taken;
  }
  if (destination === undefined || destination === '') throw new SshArgsError('no destination: give the host to connect to, e.g. `authctl ssh user@host`');
  return { options, destination, command: argv.slice(i), flags };
}

/** How many argv words the option cluster at `i` uses (1, or 2 when its value is the next word). */
function takeOption(argv: readonly string[], i: number, flags: Set<string>): number {
  const word = argv[i];
  for (let k = 1; k < word.length; k++) {
    const letter = word[k];
    if (SSH_OPTIONS_WITH_VALUE.has(letter)) {
      if (k + 1 < word.length) return 1; // the value is attached: -p22, -vp22
      if (i + 1 >= argv.length) throw new SshArgsError(`ssh option -${letter} needs a value`);
      return 2;
    }
    if (!SSH_FLAGS.has(letter)) throw new SshArgsError(`unknown ssh option -${letter}: see \`man ssh\``);
    flags.add(letter);
  }
  return 1;
}

/**
 * The destination named by a running ssh client's argv (argv[0] is the program), or
 * undefined when it does not parse as an ssh command line.
 */
export function destinationOfSshArgv(argv: readonly string[]): string | undefined {
  try {
    return parseSshArgs(argv.slice(1)).destination;
  } catch {
    return undefined;
  }
}

/** Quotes one word for a POSIX shell (also read right by bash, zsh and fish). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
