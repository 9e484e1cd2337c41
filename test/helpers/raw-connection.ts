/**
 * A raw client connection to a server's unix socket, for tests that write requests by hand and watch
 * what comes back on that one connection (the kit's keep-alive and head timeouts:
 * test/kit/keep-alive, test/security/kit-keep-alive-slow-heads): what it received, how many answers
 * (status lines) that holds, whether and when it closed.
 */
import { connect, type Socket } from 'node:net';
import { until } from './until.js';

export type RawConnection = { s: Socket; got: string; closed: boolean; closedAt: number; answers: number };

export function rawConnection(socketPath: string): RawConnection {
  const s = connect(socketPath);
  const c: RawConnection = { s, got: '', closed: false, closedAt: 0, answers: 0 };
  s.on('data', (chunk: Buffer) => {
    c.got += chunk.toString('latin1');
    c.answers = (c.got.match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    c.closed = true;
    c.closedAt = Date.now();
  });
  return c;
}

/** Waits until `cond()` holds, for at most `ms` (a raw connection's state is a matter of milliseconds). */
export const soon = (cond: () => boolean, ms = 5000): Promise<void> =>
  until("a raw connection's awaited state", cond, ms);
