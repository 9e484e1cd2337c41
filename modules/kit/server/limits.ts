/** The kit server's limits and their defaults (../README.md, "What it does, and the defaults"). */
import { defaultMaxConnections } from './connections.js';
import { KEEP_ALIVE_MS } from './keep-alive.js';

export interface KitLimits {
  /** Open connections; at the cap an idle one is closed for each new one. Default: nofile - 128. */
  maxConnections: number;
  /** A client must send its request headers within this time (slowloris). */
  headersTimeoutMs: number;
  /** …and its whole request, body included. */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this, counted from its last answer. Long enough
   * for a client asking every few tens of seconds (a chat, the dashboard, an agent, rag's hops) to
   * keep its connection (Node's 5 s made each such request pay a new one); bounded by the
   * connection cap, where idle connections are the first closed (./connections.ts).
   */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic (e.g. a client that stopped reading) and no queued work is closed. */
  idleTimeoutMs: number;
  /** Largest request body; over it 413, before reading when Content-Length says so. */
  maxBodyBytes: number;
  /**
   * The setting the module declares for maxBodyBytes (its manifest's service.settings, e.g.
   * LLM_MAX_BODY_BYTES): the 413 names the command that raises it
   * (`blueprint service config NAME KEY=BYTES`, NAME the server's `name`).
   */
  maxBodySetting?: string;
  /** Request bodies held in memory at once, all requests together; over it 503. */
  maxBufferedBytes: number;
  /**
   * Answer bytes written and not yet read by their clients, all connections together; over it the
   * connections whose clients read least recently are closed (./unread.ts).
   */
  maxUnreadAnswerBytes: number;
  /** Heavy jobs running at once (the number of workers). */
  concurrency: number;
  /** Heavy jobs waiting, in all; more get 503 + Retry-After. */
  maxQueued: number;
  /** …and per connection (a pipelining client). */
  maxQueuedPerConnection: number;
  /** A request head (request line and header fields) larger than this gets 431 (node's default). */
  maxHeaderBytes: number;
  /** …and one with more header fields than this. */
  maxHeaders: number;
}

export function defaultLimits(): KitLimits {
  return {
    maxConnections: defaultMaxConnections(),
    headersTimeoutMs: 5_000,
    requestTimeoutMs: 15_000,
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
    idleTimeoutMs: 60_000,
    maxBodyBytes: 4 * 1024 * 1024,
    maxBufferedBytes: 32 * 1024 * 1024,
    maxUnreadAnswerBytes: 64 * 1024 * 1024,
    concurrency: 1,
    maxQueued: 32,
    maxQueuedPerConnection: 4,
    maxHeaderBytes: 16 * 1024,
    maxHeaders: 100,
  };
}
