/**
 * Keeps the number of open connections under a cap set below the process's open-file limit, so
 * accept() never fails with EMFILE (which resets every new client, /health included). At the cap, a
 * new connection is kept and an old one is closed instead: the least recently active idle one
 * (keep-alive, or connected and silent), else the least recently active one that holds no queued
 * or running work (a slow upload or a slow reader). Jobs in the queue are bounded far below the
 * cap, so there is always one to close, and /health always gets in.
 */
import { readFileSync } from 'node:fs';

/** The soft open-file limit of this process (Node cannot raise it past the hard one). */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The default cap: the file limit less room for Node, the model files, workers and logs. */
export function defaultMaxConnections(): number {
  const limit = openFileLimit() ?? 1024;
  return Math.max(16, Math.min(4096, limit - 128));
}

/** What the guard needs of a connection (./wire.ts's Conn). */
export interface Guarded {
  /** Requests read and not yet answered. */
  readonly requests: number;
  /** Has work waiting or running in the fair queue (it must not be evicted). */
  holdsWork(): boolean;
  destroy(): void;
}

export class ConnectionGuard<C extends Guarded> {
  // Map order = least recently active first (an entry is moved to the end on activity).
  private readonly conns = new Map<C, true>();
  evicted = 0;
  private readonly max: number;
  private readonly onEvict: (why: string) => void;

  constructor(max: number, onEvict: (why: string) => void) {
    this.max = max;
    this.onEvict = onEvict;
  }

  get open(): number {
    return this.conns.size;
  }

  /** A new connection: false when it could not be let in (it is then to be closed). */
  add(conn: C): boolean {
    if (this.conns.size >= this.max && !this.evictOne()) {
      this.onEvict('new (every connection has queued work)');
      return false;
    }
    this.conns.set(conn, true);
    return true;
  }

  remove(conn: C): void {
    this.conns.delete(conn);
  }

  /** A request started or was answered: the connection is the most recently active. */
  touch(conn: C): void {
    if (this.conns.delete(conn)) this.conns.set(conn, true);
  }

  /** Closes idle connections now (used when draining). */
  closeIdle(): void {
    for (const conn of this.conns.keys()) if (conn.requests === 0) conn.destroy();
  }

  /** Every connection, least recently active first (the timeout sweep walks them). */
  all(): IterableIterator<C> {
    return this.conns.keys();
  }

  private evictOne(): boolean {
    let fallback: C | undefined;
    for (const conn of this.conns.keys()) {
      if (conn.requests === 0) {
        this.drop(conn, 'idle');
        return true;
      }
      if (!fallback && !conn.holdsWork()) fallback = conn;
    }
    if (!fallback) return false;
    this.drop(fallback, 'busy without queued work');
    return true;
  }

  private drop(conn: C, why: string): void {
    this.conns.delete(conn);
    conn.destroy();
    this.evicted++;
    this.onEvict(why);
  }
}
