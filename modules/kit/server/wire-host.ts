/**
 * What a connection (./wire.ts) needs from its server (./server.ts builds one): the limits, the
 * shared budgets, and where a request read and a connection's changes are told. Apart so the
 * contract between the two reads on its own.
 */
import type { Socket } from 'node:net';
import type { ByteBudget } from './body.js';
import type { Exchange } from './exchange.js';
import type { UnreadAnswers } from './unread.js';
import type { Conn } from './wire.js';

/** What a connection needs from its server. */
export interface WireHost {
  readonly maxBodyBytes: number;
  /** The 413's message for a body over it (with the setting that raises it, when there is one). */
  readonly maxBodyText: string;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly budget: ByteBudget;
  /** Answers written and not yet read, across connections (./unread.ts). */
  readonly answers: UnreadAnswers;
  /** Sets `ex.client` from its token (./clients.ts), once. */
  name(ex: Exchange): void;
  /** A request is read (its body may still be arriving): answer it, in time, with conn.answer/stream. */
  dispatch(ex: Exchange): void;
  /** A connection is gone or answered everything (for the connection guard). */
  touched(conn: Conn): void;
  closed(conn: Conn): void;
  holdsWork(socket: Socket): boolean;
  clientError(status: number, message: string): void;
}
