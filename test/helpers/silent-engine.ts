/**
 * A container engine that takes each connection and answers nothing (Podman hung on a stuck
 * container, a socket unit whose service does not start), set as this process's CONTAINER_HOST
 * from `start()` until `stop()`, which puts the earlier value back and removes the socket's folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function silentEngine(prefix: string): { start(): Promise<void>; stop(): Promise<void> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const socket = path.join(dir, 'podman.sock');
  const held: net.Socket[] = [];
  const silent = net.createServer((c) => held.push(c));
  const before = process.env.CONTAINER_HOST;
  return {
    async start() {
      await new Promise<void>((r) => silent.listen(socket, r));
      process.env.CONTAINER_HOST = `unix://${socket}`;
    },
    async stop() {
      if (before === undefined) delete process.env.CONTAINER_HOST;
      else process.env.CONTAINER_HOST = before;
      for (const c of held) c.destroy();
      await new Promise((r) => silent.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
