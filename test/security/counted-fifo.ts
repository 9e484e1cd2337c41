/**
 * A FIFO for the tree tests (rauc-tree-*, status-root-hostname): what is opened in a tree is seen
 * (and counted) without holding the command.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A FIFO made at `fifo` with a writer that lets any reader through at once (its end read): a command
 * that opens it still ends, and `opens()` says how many times one did. `stop()` ends the writer.
 */
export function countedFifo(fifo: string): { opens(): number; stop(): Promise<void> } {
  spawnSync('mkfifo', [fifo]);
  let opens = 0;
  let ended = false;
  const writer = (async () => {
    while (!ended) {
      const h = await open(fifo, 'w');
      if (!ended) opens++;
      await h.close();
    }
  })();
  return {
    opens: () => opens,
    async stop() {
      ended = true;
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await writer;
      closeSync(fd);
    },
  };
}
