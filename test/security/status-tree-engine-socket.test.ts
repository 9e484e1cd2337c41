/**
 * `--root TREE status` reads any tree, and asks the container engine for its services: the engine
 * socket was taken from TREE/etc/blueprint/config.json (`engine.socket`) whoever could change the
 * tree, so on another user's tree root connected to a socket of their choosing, and whatever
 * answered there spoke for the engine. Now a tree's config.json names the socket only where the
 * tree passes the `--root` contract (tree-owner.ts: root's, or the runner's own); elsewhere the
 * default engine is asked. Run as root (the tests' user): the tree is given to uid 1000. The real
 * executable.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { providerRegistration } from '../helpers/provider-registration.js';
import { tempDir } from '../setup/temp-registry.js';

/** A unix socket that counts the connections made to it (and ends each at once). */
async function countingSocket(file: string): Promise<{ count(): number; close(): Promise<void> }> {
  let n = 0;
  const server = net.createServer((c) => {
    n++;
    c.destroy();
  });
  await new Promise<void>((done) => server.listen(file, done));
  return { count: () => n, close: () => new Promise((done) => server.close(() => done())) };
}

describe("status of another user's tree: the engine socket its config.json names", () => {
  it('is not connected to', async () => {
    const root = path.join(tempDir('bp-tree-engine-'), 'tree');
    mkdirSync(path.join(root, 'etc/blueprint'), { recursive: true });
    const socket = path.join(root, 'engine.sock');
    writeFileSync(path.join(root, 'etc/blueprint/config.json'), JSON.stringify({ engine: { socket } }));
    // A service registered: status asks the engine how it runs.
    providerRegistration(root, 'hello', {});
    const fake = await countingSocket(socket);
    try {
      expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);
      const r = await run(['--root', root, '--json', 'status']);
      expect(r.code, r.stderr).not.toBe(null);
      expect(fake.count(), 'root connected to the socket the tree named').toBe(0);
      // The same tree as root's own: its config.json is the box's, and names its engine.
      expect(spawnSync('chown', ['-R', '-h', '0:0', root]).status).toBe(0);
      await run(['--root', root, '--json', 'status']);
      expect(fake.count()).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });
});
