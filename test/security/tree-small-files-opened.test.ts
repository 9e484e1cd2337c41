/**
 * The small configuration files read on the way of a command (read-small.ts: the engine socket's
 * choice in TREE/etc/blueprint/config.json, a module's settings and overrides) were opened
 * (O_NONBLOCK) and only then judged on the descriptor. O_NONBLOCK spares a FIFO's wait, not its
 * open: a FIFO's writer was woken, and a device node there (an image mounted with its own
 * /dev/watchdog node, `--root TREE status` reads any tree) had its driver's open run. Now the file
 * is judged on an O_PATH descriptor first and opened only when it is a regular file. The real
 * executable.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';
import { countedFifo } from './counted-fifo.js';

describe("a tree's small configuration files", () => {
  it('a FIFO at etc/blueprint/config.json is not opened by status', async () => {
    const root = tempDir('bp-tree-small-');
    mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
    const counted = countedFifo(path.join(root, 'etc/blueprint/config.json'));
    try {
      const r = await run(['--root', root, '--json', 'status']);
      expect(r.code, r.stderr).toBe(0);
      expect(counted.opens(), 'config.json was opened').toBe(0);
    } finally {
      await counted.stop();
    }
  });
});
