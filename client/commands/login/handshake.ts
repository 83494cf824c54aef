/**
 * gh's device-flow handshake: the code is on screen first, then `Press Enter to open HOST in
 * your browser`, so the person reads the code before a browser window covers the terminal.
 * The wait never blocks the login: an approval from another device (the QR code) ends it.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';

export class EnterToOpen {
  private rl?: Interface;

  /** Calls `open` once when the person presses Enter on `stdin`. */
  start(stdin: Readable, open: () => void): void {
    this.stop();
    const rl = createInterface({ input: stdin, terminal: false });
    this.rl = rl;
    rl.once('line', () => {
      this.stop();
      open();
    });
    rl.once('close', () => {
      if (this.rl === rl) this.rl = undefined;
    });
  }

  stop(): void {
    const rl = this.rl;
    this.rl = undefined;
    rl?.close();
  }
}
