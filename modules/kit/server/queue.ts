/**
 * Fair queue for the heavy work: each connection (key) has its own FIFO, and jobs start round-robin
 * across connections, so a client that pipelines 100 requests waits its turn like everyone else
 * instead of filling the queue. Bounded twice: at most `maxQueued` jobs wait in all, and at most
 * `maxPerKey` per connection; beyond either the job is refused with 503 + Retry-After.
 *
 * Per connection, not per client: the kit has no client identity to key by (the token is shared by
 * every consumer; SO_PEERCRED, read in the module's namespaces, shows every outside peer as uid
 * 65534, pid 0). So one client with many connections can fill `maxQueued` (../README.md, "Fairness").
 */
import { busy, ClientGoneError } from './errors.js';

export interface FairQueueOptions {
  /** Jobs running at once (the number of workers). */
  concurrency: number;
  maxQueued: number;
  maxPerKey: number;
}

interface Job {
  key: object;
  start(): void;
  cancel(): void;
}

export class FairQueue {
  readonly opts: FairQueueOptions;
  private readonly waiting = new Map<object, Job[]>(); // insertion order is the round-robin order
  private readonly holding = new Map<object, number>(); // queued + running, per key
  private queued = 0;
  running = 0;

  constructor(opts: FairQueueOptions) {
    this.opts = opts;
  }

  get length(): number {
    return this.queued;
  }

  /** True when the key has a job waiting or running (its connection must not be evicted). */
  holds(key: object): boolean {
    return (this.holding.get(key) ?? 0) > 0;
  }

  run<T>(key: object, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    const mine = this.waiting.get(key)?.length ?? 0;
    if (this.queued >= this.opts.maxQueued)
      return Promise.reject(busy(`busy: ${this.queued} requests are already waiting; retry shortly`));
    if (mine >= this.opts.maxPerKey)
      return Promise.reject(
        busy(`busy: this connection already has ${mine} requests waiting; wait for their answers`),
      );
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const list = this.waiting.get(key);
        const i = list?.indexOf(job) ?? -1;
        if (i < 0) return; // already running: let it finish
        list!.splice(i, 1);
        if (list!.length === 0) this.waiting.delete(key);
        this.queued--;
        this.release(key);
        reject(new ClientGoneError());
      };
      const job: Job = {
        key,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.running++;
          work()
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.release(key);
              this.next();
            });
        },
        cancel: onAbort,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.waiting.get(key);
      if (list) list.push(job);
      else this.waiting.set(key, [job]);
      this.queued++;
      this.holding.set(key, (this.holding.get(key) ?? 0) + 1);
      this.next();
    });
  }

  private release(key: object): void {
    const n = (this.holding.get(key) ?? 1) - 1;
    if (n > 0) this.holding.set(key, n);
    else this.holding.delete(key);
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.queued > 0) {
      const [key, list] = this.waiting.entries().next().value as [object, Job[]];
      const job = list.shift()!;
      // Round-robin: this key goes to the back of the line if it has more.
      this.waiting.delete(key);
      if (list.length > 0) this.waiting.set(key, list);
      this.queued--;
      job.start();
    }
  }
}
