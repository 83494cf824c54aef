/** What a command's `run` receives, so tests call it directly with their own streams. */
import type { Readable, Writable } from 'node:stream';
import type { AgentClient } from './agent-client.js';

export interface CommandIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Is stderr a terminal (countdowns, colours)? */
  stderrIsTTY: boolean;
  agent: () => AgentClient;
}

export function writeLine(stream: Writable, text: string): void {
  stream.write(text + '\n');
}
