/**
 * Keeps the number of open connections under a cap set below the process's open-file limit, so
 * accept() never fails with EMFILE (which resets every new client, /health included). At the cap, a
 * new connection is kept and an old one is closed instead: the least recently active idle one
 * (keep-alive, or connected and silent), else the least recently active one that holds no queued
 * or running work (a slow upload or a slow reader). Jobs in the queue are bounded far below the
 * cap, so there is always one to close, and /health always gets in.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

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

interface State {
  requests: number;
  seen: boolean;
}

export interface ConnectionGuard {
  readonly open: number;
  readonly evicted: number;
  /** Closes idle connections now (used when draining). */
  closeIdle(): void;
}

export function guardConnections(
  server: Server,
  max: number,
  /** A connection without a whole request head by then is closed (Node's own check runs only every second). */
  firstRequestMs: number,
  holdsWork: (socket: Socket) => boolean,
  onEvict: (why: string) => void,
): ConnectionGuard {
  // Map order = least recently active first (an entry is moved to the end on activity).
  const sockets = new Map<Socket, State>();
  let evicted = 0;

  const touch = (socket: Socket, state: State) => {
    sockets.delete(socket);
    sockets.set(socket, state);
  };

  const evictOne = (): boolean => {
    let fallback: Socket | undefined;
    for (const [socket, state] of sockets) {
      if (state.requests === 0) {
        socket.destroy();
        sockets.delete(socket);
        evicted++;
        onEvict('idle');
        return true;
      }
      if (!fallback && !holdsWork(socket)) fallback = socket;
    }
    if (!fallback) return false;
    fallback.destroy();
    sockets.delete(fallback);
    evicted++;
    onEvict('busy without queued work');
    return true;
  };

  server.on('connection', (socket: Socket) => {
    if (sockets.size >= max && !evictOne()) {
      socket.destroy();
      onEvict('new (every connection has queued work)');
      return;
    }
    const state: State = { requests: 0, seen: false };
    sockets.set(socket, state);
    const silent = setTimeout(() => {
      if (!state.seen) socket.destroy();
    }, firstRequestMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      sockets.delete(socket);
    });
  });

  server.on('request', (req, res) => {
    const socket = req.socket;
    const state = sockets.get(socket);
    if (!state) return;
    state.requests++;
    state.seen = true;
    touch(socket, state);
    res.once('close', () => {
      state.requests--;
      if (sockets.has(socket)) touch(socket, state);
    });
  });

  return {
    get open() {
      return sockets.size;
    },
    get evicted() {
      return evicted;
    },
    closeIdle() {
      for (const [socket, state] of sockets) if (state.requests === 0) socket.destroy();
    },
  };
}
