/**
 * Fair queue for the heavy work, fair between clients. A client is who the request's token says
 * (./clients.ts: "admin", or "consumer:NAME" for a consumer's own token, issued by blueprint); the
 * requests of clients that send none (where the admin set no token) share one client, "anonymous".
 * Jobs start round-robin across clients, and within a client round-robin across its connections,
 * so a client that pipelines 100 requests, or opens 100 connections, waits its turn like everyone
 * else instead of filling the queue. A connection is no identity on its own: a client may open many,
 * and SO_PEERCRED, read in the module's namespaces, shows every outside peer as uid 65534, pid 0.
 *
 * Bounded twice: at most `maxQueued` jobs wait in all, and at most `maxPerKey` per connection;
 * beyond the second, or beyond the first when no one can give up a place, the job is refused with
 * 503 + Retry-After. When the places are all taken, a client with fewer waiting jobs than the one
 * holding the most (by two or more) takes a place from it: that client's newest waiting job is
 * refused instead (503 + Retry-After, before it started). So however many connections one client
 * opens, another client is never refused for want of places while it holds fewer than its share.
 */
import { busy, ClientGoneError } from './errors.js';

export interface FairQueueOptions {
  /** Jobs running at once (the number of workers). */
  concurrency: number;
  maxQueued: number;
  maxPerKey: number;
}

interface Job {
  group: Group;
  conn: object;
  start(): void;
  /** Taken out of the queue before it started: its request is answered with `err`. */
  drop(err: Error): void;
}

interface Group {
  key: string | object;
  /** Per connection, insertion order is the round-robin order within the client. */
  conns: Map<object, Job[]>;
  waiting: number;
}

/** The client of every request that sent no token (each keeps its own connection's turn within it). */
const ANONYMOUS = { client: 'anonymous' };

export class FairQueue {
  readonly opts: FairQueueOptions;
  private readonly groups = new Map<string | object, Group>(); // insertion order is the round-robin order
  private readonly holding = new Map<object, number>(); // queued + running, per connection
  private queued = 0;
  running = 0;

  constructor(opts: FairQueueOptions) {
    this.opts = opts;
  }

  get length(): number {
    return this.queued;
  }

  /** True when the connection has a job waiting or running (it must not be evicted). */
  holds(conn: object): boolean {
    return (this.holding.get(conn) ?? 0) > 0;
  }

  /** Runs `work` in its turn; `client` is who the request's token named (undefined: anonymous). */
  run<T>(conn: object, work: () => Promise<T>, signal?: AbortSignal, client?: string): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    const key = client ?? ANONYMOUS;
    const group = this.groups.get(key);
    const mine = group?.conns.get(conn)?.length ?? 0;
    const victim = this.queued >= this.opts.maxQueued ? this.largerThan(group?.waiting ?? 0) : undefined;
    if (this.queued >= this.opts.maxQueued && !victim)
      return Promise.reject(busy(`busy: ${this.queued} requests are already waiting; retry shortly`));
    if (mine >= this.opts.maxPerKey)
      return Promise.reject(
        busy(`busy: this connection already has ${mine} requests waiting; wait for their answers`),
      );
    if (victim)
      this.newestOf(victim).drop(busy('busy: other clients are waiting for their turn; retry shortly'));
    return new Promise<T>((resolve, reject) => {
      const g = this.groups.get(key) ?? { key, conns: new Map<object, Job[]>(), waiting: 0 };
      const onAbort = () => job.drop(new ClientGoneError());
      const job: Job = {
        group: g,
        conn,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running++;
          work()
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.release(conn);
              this.next();
            });
        },
        drop: (err) => {
          const list = g.conns.get(conn);
          const i = list?.indexOf(job) ?? -1;
          if (i < 0) return; // already running: let it finish
          signal?.removeEventListener('abort', onAbort);
          list!.splice(i, 1);
          if (list!.length === 0) g.conns.delete(conn);
          if (--g.waiting === 0) this.groups.delete(g.key);
          this.queued--;
          this.release(conn);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = g.conns.get(conn);
      if (list) list.push(job);
      else g.conns.set(conn, [job]);
      if (g.waiting++ === 0) this.groups.set(key, g);
      this.queued++;
      this.holding.set(conn, (this.holding.get(conn) ?? 0) + 1);
      this.next();
    });
  }

  /** The client holding the most waiting jobs, when that is at least two more than `waiting`. */
  private largerThan(waiting: number): Group | undefined {
    let most: Group | undefined;
    for (const g of this.groups.values()) if (!most || g.waiting > most.waiting) most = g;
    return most && most.waiting > waiting + 1 ? most : undefined;
  }

  /** The newest waiting job of the client's connection with the most waiting (of those, the last in line). */
  private newestOf(g: Group): Job {
    let longest: Job[] = [];
    for (const list of g.conns.values()) if (list.length >= longest.length) longest = list;
    return longest[longest.length - 1]!;
  }

  private release(conn: object): void {
    const n = (this.holding.get(conn) ?? 1) - 1;
    if (n > 0) this.holding.set(conn, n);
    else this.holding.delete(conn);
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.queued > 0) {
      const [key, g] = this.groups.entries().next().value as [string | object, Group];
      const [conn, list] = g.conns.entries().next().value as [object, Job[]];
      const job = list.shift()!;
      // Round-robin: this connection, and this client, go to the back of the line if they have more.
      g.conns.delete(conn);
      if (list.length > 0) g.conns.set(conn, list);
      this.groups.delete(key);
      if (--g.waiting > 0) this.groups.set(key, g);
      this.queued--;
      job.start();
    }
  }
}
