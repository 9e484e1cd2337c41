/**
 * The models the llm service serves, loaded on demand as Ollama loads them: the default at start,
 * another at its first request (the request waits for the load, at most its generation deadline),
 * each kept for its keep_alive after its last use and unloaded when idle past it, never while a
 * request holds it. Loading one that would not fit beside the loaded ones (the memory limit, each
 * GGUF's estimate) first unloads idle ones, least recently used first; if it still does not fit,
 * a 503 naming the model and the limit. Requests for a model being loaded share the one load; a
 * load that fails is an error for them and is tried again by the next request.
 */
import { HttpError } from '../../kit/server/index.js';
import type { Embedder } from './embed.js';
import type { Engine } from './engine.js';
import type { EngineInfo } from './engine-types.js';
import type { ModelHeader } from './gguf-header.js';
import { FOREVER } from './keep-alive.js';

// Ollama's keep_alive, parsed (keep-alive.ts): imported from here by the routes and tests.
export { FOREVER, keepAliveMs } from './keep-alive.js';

export interface PoolModel {
  id: string;
  /**
   * Loads the model (Engine.load); none for an engine given loaded (never unloaded then). `signal`
   * is aborted when the service stops (dispose): the load is to stop then.
   */
  load?: (signal: AbortSignal) => Promise<Engine>;
  /** Bytes it needs loaded (memory.ts modelNeeds, the runtime's share included). */
  needBytes?: number;
  /** Bytes its embedding context needs beside (estimate.ts embeddingBytes), counted once it is made. */
  embedBytes?: number;
  /** What its GGUF's header says (gguf-header.ts), shown until it is loaded (then the engine's own). */
  header?: ModelHeader;
}

export interface PoolOptions {
  /** Milliseconds a model stays loaded idle (LLM_KEEP_ALIVE); FOREVER or any negative: for ever. */
  keepAliveMs: number;
  /** The memory the loaded models share (the container's limit); none: no budget. */
  limitBytes?: number | null;
  /** The runtime's share of every needBytes, counted once however many are loaded. */
  runtimeBytes?: number;
  now?: () => number;
  /** A load or unload: `key` groups repeats of one model's (the kit log's event). */
  log?: (key: string, line: string) => void;
}

export interface Lease {
  engine: Engine;
  /** Milliseconds this request waited for the model's load (0 when it was loaded). */
  loadMs: number;
  /** The model's embedding context, when acquired with `embedding` (made at the first such request). */
  embedder?: Embedder;
  /** Ends the hold; the model is then kept `keepAliveMs` (the request's, else the pool's default). */
  release(keepAliveMs?: number): void;
}

interface Entry {
  model: PoolModel;
  engine?: Engine;
  loading?: Promise<Engine>;
  /** What the model said of itself when last loaded. */
  info?: EngineInfo;
  /** Requests holding it or waiting for its load. */
  holders: number;
  /** Its embedding context is made or being made: its memory is counted (embedBytes). */
  embeds?: boolean;
  embedding?: Promise<Embedder>;
  lastUsed: number;
  /** When it unloads if idle; Infinity: never. */
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

const MiB = 2 ** 20;
/** The latest time a JavaScript Date holds (ECMAScript's ±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;
const mib = (n: number) => `${Math.ceil(n / MiB)} MiB`;

export class ModelPool {
  private readonly entries = new Map<string, Entry>();
  /** Disposals under way: their memory is not free yet. */
  private readonly unloading = new Set<Promise<void>>();
  /** Aborted by dispose(): loads under way stop, and none starts. */
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly log: (key: string, line: string) => void;
  readonly defaultId: string;

  /** `models`: the default first. */
  constructor(
    models: PoolModel[],
    private readonly opts: PoolOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    for (const model of models)
      this.entries.set(model.id, { model, holders: 0, lastUsed: 0, expiresAt: Number.POSITIVE_INFINITY });
    this.defaultId = models[0]!.id;
  }

  /** Engines already loaded, served as they are: never unloaded (the tests' and callers' own). */
  static of(engines: Engine[]): ModelPool {
    const pool = new ModelPool(
      engines.map((e) => ({ id: e.info.model })),
      { keepAliveMs: FOREVER },
    );
    for (const e of engines) {
      const entry = pool.entries.get(e.info.model)!;
      entry.engine = e;
      entry.info = e.info;
    }
    return pool;
  }

  ids = (): string[] => [...this.entries.keys()];
  has = (id: string): boolean => this.entries.has(id);

  /** What the model said of itself when last loaded, else what its GGUF's header says. */
  info(id: string): Partial<EngineInfo> | undefined {
    const e = this.entries.get(id);
    if (e?.info) return e.info;
    if (!e?.model.header) return undefined;
    const { template: _, ...info } = e.model.header;
    return info;
  }

  /** What its GGUF's header says, the chat template included (read at start, not loaded). */
  header(id: string): ModelHeader | undefined {
    return this.entries.get(id)?.model.header;
  }

  /** The loaded models: their engine and when each unloads if idle (Infinity: never). */
  loaded(): { id: string; engine: Engine; expiresAt: number; holders: number }[] {
    return [...this.entries.values()].flatMap((e) =>
      e.engine ? [{ id: e.model.id, engine: e.engine, expiresAt: e.expiresAt, holders: e.holders }] : [],
    );
  }

  /** Loads the default model at start, kept until a request's keep_alive says otherwise. */
  async start(): Promise<Engine> {
    const lease = await this.acquire(this.defaultId, Number.POSITIVE_INFINITY);
    lease.release(FOREVER);
    return lease.engine;
  }

  /**
   * Holds model `id` for a request, loading it first if it is not loaded: the request waits at
   * most `waitMs` (its generation deadline) for the load, then is a 503 (the load goes on).
   */
  async acquire(id: string, waitMs: number, want: { embedding?: boolean } = {}): Promise<Lease> {
    const e = this.entries.get(id);
    if (!e) throw new Error(`model ${id} is not served`);
    e.holders += 1;
    const began = this.now();
    let embedder: Embedder | undefined;
    try {
      if (!e.engine) {
        e.loading ??= this.startLoad(e);
        await bounded(e.loading, waitMs, id);
      }
      // Its embedding context, admitted like a model (its own estimate) and made once.
      if (want.embedding) {
        e.embedding ??= this.startEmbedding(e);
        embedder = await bounded(e.embedding, waitMs, id);
      }
    } catch (err) {
      e.holders -= 1;
      throw err;
    }
    clearTimeout(e.timer);
    e.lastUsed = this.now();
    let released = false;
    return {
      engine: e.engine!,
      embedder,
      loadMs: e.lastUsed - began,
      release: (keepAliveMs) => {
        if (released) return;
        released = true;
        e.holders -= 1;
        const keep = keepAliveMs ?? (id === this.defaultId ? FOREVER : this.opts.keepAliveMs);
        this.keep(e, keep);
      },
    };
  }

  private keep(e: Entry, keepMs: number): void {
    e.lastUsed = this.now();
    // Past what a date can hold (keepAliveMs clamps first): kept, never an expiry /api/ps cannot show.
    const at = e.lastUsed + keepMs;
    e.expiresAt = keepMs < 0 || !(at <= MAX_DATE_MS) ? Number.POSITIVE_INFINITY : at;
    clearTimeout(e.timer);
    if (e.holders > 0 || !e.engine) return;
    if (keepMs === 0) void this.unload(e, 'keep_alive 0');
    else this.arm(e);
  }

  /** A timer for the entry's expiry; sweep() decides by `now`, and an early wake sets it again. */
  private arm(e: Entry): void {
    clearTimeout(e.timer);
    if (!Number.isFinite(e.expiresAt) || !e.model.load || !e.engine) return;
    const wait = Math.min(Math.max(1, e.expiresAt - this.now() + 1), 2 ** 31 - 1);
    e.timer = setTimeout(() => {
      if (e.holders === 0 && e.expiresAt <= this.now()) void this.sweep();
      else if (e.holders === 0) this.arm(e);
    }, wait);
    e.timer.unref();
  }

  /** Unloads every idle model past its keep_alive. */
  async sweep(): Promise<void> {
    const t = this.now();
    await Promise.all(
      [...this.entries.values()]
        .filter((e) => e.engine && e.holders === 0 && e.expiresAt <= t)
        .map((e) => this.unload(e, 'idle past its keep_alive')),
    );
  }

  private async unload(e: Entry, why: string): Promise<void> {
    const engine = e.engine;
    if (!engine || !e.model.load) return; // an engine given loaded is its giver's to dispose
    e.engine = undefined;
    // Its embedding context goes with it (Engine.dispose).
    e.embeds = false;
    e.embedding = undefined;
    clearTimeout(e.timer);
    this.log(`unload ${e.model.id}`, `unloaded model ${e.model.id} (${why})`);
    // Its memory is freed before any load goes on (startLoad waits for `unloading`).
    const freed = engine.dispose().catch((err: unknown) => {
      this.log(
        `unload ${e.model.id}`,
        `model ${e.model.id} did not unload cleanly: ${(err as Error).message}`,
      );
    });
    this.unloading.add(freed);
    await freed;
    this.unloading.delete(freed);
  }

  /** Bytes the model takes beside others: its need less the runtime's share (counted once). */
  private cost(e: Entry): number {
    const embedding = e.embeds ? (e.model.embedBytes ?? 0) : 0;
    return Math.max(0, (e.model.needBytes ?? 0) - (this.opts.runtimeBytes ?? 0)) + embedding;
  }

  /**
   * Makes the loaded model's embedding context, once it fits: idle models are unloaded for it as
   * for a load, else a 503 naming the limit. A model that cannot embed is its engine's error.
   */
  private startEmbedding(e: Entry): Promise<Embedder> {
    const engine = e.engine!;
    const evicted = this.makeRoom(e, e.model.embedBytes ?? 0);
    e.embeds = true;
    const done = (async () => {
      await Promise.all([
        ...evicted.map((x) => this.unload(x, `room for ${e.model.id}'s embeddings`)),
        ...this.unloading,
      ]);
      return engine.embedder();
    })();
    done.catch(() => {
      if (e.engine === engine) {
        e.embeds = false;
        e.embedding = undefined;
      }
    });
    return done;
  }

  /** Unloads what must go for `e` to fit (or refuses with a 503), then loads it. */
  private startLoad(e: Entry): Promise<Engine> {
    const { id, load } = e.model;
    if (!load) throw new Error(`model ${id} has no loader`);
    const evicted = this.makeRoom(e);
    const done = (async () => {
      await Promise.all([...evicted.map((x) => this.unload(x, `room for ${id}`)), ...this.unloading]);
      const t0 = this.now();
      const stop = this.stopping.signal;
      try {
        if (stop.aborted) throw stoppingError();
        this.log(`load ${id}`, `loading model ${id}`);
        const engine = await load(stop).catch((err: unknown) => {
          throw stop.aborted ? stoppingError() : err;
        });
        if (stop.aborted) {
          // Loaded as the service stopped (a loader that did not heed the signal): not kept.
          await engine.dispose().catch(() => undefined);
          throw stoppingError();
        }
        e.engine = engine;
        e.info = engine.info;
        this.log(`loaded ${id}`, `loaded model ${id} in ${this.now() - t0} ms`);
        return engine;
      } catch (err) {
        if (err instanceof HttpError) {
          this.log(`failed ${id}`, `model ${id} was not loaded: ${err.message}`);
          throw err;
        }
        this.log(`failed ${id}`, `model ${id} did not load: ${(err as Error).message}`);
        throw new HttpError(500, (err as Error).message);
      } finally {
        e.loading = undefined;
      }
    })();
    done.catch(() => undefined); // its requests may have stopped waiting
    return done;
  }

  /**
   * The idle models to unload, least recently used first, for `e` to fit (loaded, with `extra`
   * bytes more: its embedding context); a 503 if it cannot.
   */
  private makeRoom(e: Entry, extra = 0): Entry[] {
    const limit = this.opts.limitBytes;
    if (!limit) return [];
    const runtime = this.opts.runtimeBytes ?? 0;
    const need = this.cost(e) + extra;
    const what = extra ? `model ${e.model.id} with its embedding context` : `model ${e.model.id}`;
    const others = [...this.entries.values()].filter((x) => x !== e && (x.engine || x.loading));
    let used = runtime + others.reduce((n, x) => n + this.cost(x), 0);
    if (used + need <= limit) return [];
    if (runtime + need > limit)
      throw new HttpError(
        503,
        `${what} needs ${mib(runtime + need)}, more than this service's memory limit of ${mib(limit)}: raise the llm service's memory limit, or use a smaller quantisation of the model${extra ? ' or a smaller context (LLM_CONTEXT)' : ''}`,
        'model',
      );
    const idle = others
      .filter((x) => x.engine && !x.loading && x.holders === 0 && x.model.load)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const out: Entry[] = [];
    for (const x of idle) {
      if (used + need <= limit) break;
      out.push(x);
      used -= this.cost(x);
    }
    if (used + need > limit) {
      const busy = others.filter((x) => !out.includes(x)).map((x) => `${x.model.id} (${mib(this.cost(x))})`);
      throw new HttpError(
        503,
        `${what} needs ${mib(need)} beside the models in use, ${busy.join(', ')}, and this service's memory limit is ${mib(limit)}: try again when they are idle, or raise the llm service's memory limit`,
        'model',
        { 'retry-after': '5' },
      );
    }
    return out;
  }

  /** Aborts the loads under way (their requests get a 503) and refuses any after: a stop's first step. */
  stopLoading(): void {
    this.stopping.abort();
  }

  /**
   * The service's stop: loads under way are aborted (their requests get a 503) and waited for, a
   * model still held (a generation whose client left, unwinding) let go for at most `graceMs` (the
   * drain's 7 s and this stay within the manifest's 10 s stopTimeout), then
   * every model the pool loaded is unloaded; nothing loads after.
   */
  async dispose(graceMs = 1000): Promise<void> {
    this.stopLoading();
    const loads = [...this.entries.values()].flatMap((e) => (e.loading ? [e.loading] : []));
    await Promise.allSettled(loads);
    const until = Date.now() + graceMs;
    while ([...this.entries.values()].some((e) => e.holders > 0) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.entries.values()].map((e) => this.unload(e, 'the service stops')));
  }
}

const stoppingError = () =>
  new HttpError(503, 'the llm service is stopping: try again once it has started again', 'model', {
    'retry-after': '5',
  });

/** `load` within `ms`, else a 503 saying the model is still loading (the load goes on). */
async function bounded<T>(load: Promise<T>, ms: number, id: string): Promise<T> {
  if (!Number.isFinite(ms)) return await load;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () =>
        fail(
          new HttpError(
            503,
            `model ${id} is still loading after ${Math.round(ms / 1000)} s (this request's generation deadline); try again shortly`,
            'model',
            { 'retry-after': '5' },
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([load, late]);
  } finally {
    clearTimeout(timer);
  }
}
