/**
 * The main-thread side of the worker pool: starts `size` worker threads from one module file,
 * hands each job to an idle worker, and restarts a worker that dies (out of memory under its
 * `resourceLimits`, or a crash), failing only the job it was running with a 503.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { busy, HttpError } from './errors.js';
import type { WorkerMessage } from './worker.js';

export interface PoolOptions<I> {
  /** The module file the workers run; it calls serveJobs() when not on the main thread. */
  file: URL | string;
  /** Given to serveJobs' init in every worker. */
  data: I;
  size?: number;
  /** Bounds each worker's JavaScript heap (native memory, e.g. ONNX Runtime's, is not counted). */
  resourceLimits?: ResourceLimits;
  /**
   * A job still running after this long fails with a JobTimeoutError, and its worker is stopped
   * and started again: a worker runs one job at a time, synchronously, so nothing but stopping it
   * ends a job that would take minutes (a parser's worst case on a hostile document).
   */
  jobTimeoutMs?: number;
  /**
   * close() lets jobs already running finish for up to this long before it stops their workers
   * (default 2 s). Stopping a worker inside a native call (ONNX Runtime's session.run, hnswlib)
   * aborts the whole process; so does jobTimeoutMs: use that one for JavaScript work only.
   */
  closeWaitMs?: number;
  log(line: string): void;
}

/** A job ran past the pool's jobTimeoutMs; its worker was stopped (and is started again). */
export class JobTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`the job ran longer than ${Math.round(timeoutMs / 1000)} s and was stopped`);
    this.name = 'JobTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** An error a job threw in the worker, with its name and own fields. */
export class WorkerJobError extends Error {
  readonly fields: Record<string, unknown>;
  constructor(name: string, message: string, fields: Record<string, unknown>) {
    super(message);
    this.name = name;
    this.fields = fields;
  }
}

interface Slot {
  worker: Worker;
  job?: { id: number; resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout };
}

export interface Pool<R> {
  ready: R;
  run(payload: unknown): Promise<unknown>;
  /** False while a worker is being restarted. */
  healthy(): boolean;
  /**
   * Date.now() when the oldest restart still in progress began, undefined when none is: a module
   * can then tell a restart that lasts (a worker that cannot start) from the pool's own recovery,
   * which a client may cause at will (a job past its deadline or its worker's heap), without
   * reading the log lines (rag's parse-health.ts did).
   */
  restartingSinceMs(): number | undefined;
  /** Refuses queued jobs, lets running ones finish (closeWaitMs), then stops the workers. */
  close(): Promise<void>;
}

/** A job structured clone cannot send: a value nested too deeply is the request's fault (400). */
function unsendable(err: Error): HttpError {
  return err instanceof RangeError
    ? new HttpError(400, `the request is nested too deeply to be processed (${err.message})`)
    : new HttpError(500, `the job cannot be sent to the worker: ${err.message}`);
}

export async function startPool<I, R>(opts: PoolOptions<I>): Promise<Pool<R>> {
  const slots: Slot[] = [];
  const waiting: { payload: unknown; resolve(v: unknown): void; reject(e: Error): void }[] = [];
  let nextId = 1;
  let closing = false;
  // The start times of the restarts in progress (one entry each; a Set of boxes, as two may share a ms).
  const restarting = new Set<{ since: number }>();
  let ready: R | undefined;
  // Called whenever a job ends or a worker exits: close() waits on them for running jobs.
  const idleWaiters = new Set<() => void>();
  const stopping = () => new HttpError(503, 'the service is stopping');

  const dispatch = () => {
    for (const slot of slots) {
      while (!slot.job && waiting.length > 0) {
        const w = waiting.shift()!;
        const id = nextId++;
        try {
          slot.worker.postMessage({ id, payload: w.payload });
        } catch (err) {
          // Structured clone refused the job (e.g. a request value nested deeper than this thread's
          // stack: JSON.parse takes any depth). That job's error; the worker was given nothing and
          // takes the next. Before, the slot stayed taken by a job never sent, and every later job
          // waited for good.
          w.reject(unsendable(err as Error));
          continue;
        }
        slot.job = { id, resolve: w.resolve, reject: w.reject };
        if (opts.jobTimeoutMs) {
          const job = slot.job;
          job.timer = setTimeout(() => {
            if (slot.job !== job) return;
            // Failed now; the slot stays taken (by a job that settles nothing) until the worker's
            // exit, whose handler starts another: no job is sent to a worker being stopped.
            slot.job = { id: -1, resolve: () => undefined, reject: () => undefined };
            w.reject(new JobTimeoutError(opts.jobTimeoutMs!));
            opts.log(`a job ran past ${Math.round(opts.jobTimeoutMs! / 1000)} s: stopping its worker`);
            void slot.worker.terminate();
          }, opts.jobTimeoutMs);
          job.timer.unref();
        }
      }
    }
    for (const f of idleWaiters) f();
  };

  const spawn = (slot: Partial<Slot>): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const worker = new Worker(opts.file, {
        workerData: { data: opts.data },
        resourceLimits: opts.resourceLimits,
        stdout: false,
        stderr: false,
      });
      slot.worker = worker;
      let started = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'log') return opts.log(m.line);
        if (m.type === 'ready') {
          started = true;
          return resolve(m.value as R);
        }
        if (m.type === 'fatal') return reject(new Error(m.message));
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        clearTimeout(job.timer);
        slot.job = undefined;
        if (m.type === 'done') job.resolve(m.value);
        else job.reject(new WorkerJobError(m.error.name, m.error.message, m.error.fields));
        dispatch();
      });
      // The worker sent something this thread cannot deserialize: its stack is larger than the main
      // thread's, so an answer nested deeper than ours can take (built from a hostile body) gets
      // here. The worker runs one job at a time: it is the running job's answer. Without this the
      // job never settled and the worker was never given another.
      worker.on('messageerror', (err) => {
        if (!started) return reject(err);
        const job = slot.job;
        slot.job = undefined;
        clearTimeout(job?.timer);
        job?.reject(
          new HttpError(
            500,
            `the worker's answer could not be read (${err.message}); is the request nested too deeply?`,
          ),
        );
        dispatch();
      });
      worker.on('error', (err) => {
        if (!started) reject(err);
        else opts.log(`worker error: ${err.message}`);
      });
      worker.on('exit', (code) => {
        if (!started) return reject(new Error(`the worker exited with ${code} while starting`));
        const job = slot.job;
        slot.job = undefined;
        clearTimeout(job?.timer);
        job?.reject(busy(`the worker stopped (exit ${code}) and is restarting; retry shortly`, 2));
        if (closing) {
          for (const f of idleWaiters) f();
          return;
        }
        opts.log(`worker exited with ${code}; restarting it`);
        const restart = { since: Date.now() };
        restarting.add(restart);
        spawn(slot)
          .then(
            () => opts.log('worker restarted'),
            (err: Error) => {
              opts.log(`cannot restart the worker: ${err.message}`);
              process.exitCode = 1;
              process.kill(process.pid, 'SIGTERM');
            },
          )
          .finally(() => {
            restarting.delete(restart);
            dispatch();
          });
      });
    });

  const size = opts.size ?? 1;
  for (let i = 0; i < size; i++) {
    const slot = {} as Slot;
    slots.push(slot);
    ready = await spawn(slot);
  }
  return {
    ready: ready as R,
    run: (payload) =>
      new Promise((resolve, reject) => {
        if (closing) return reject(stopping());
        waiting.push({ payload, resolve, reject });
        dispatch();
      }),
    healthy: () => restarting.size === 0 && !closing,
    restartingSinceMs: () => {
      let oldest: number | undefined;
      for (const r of restarting) if (oldest === undefined || r.since < oldest) oldest = r.since;
      return oldest;
    },
    close: async () => {
      closing = true;
      for (const w of waiting.splice(0)) w.reject(stopping());
      // A job past jobTimeoutMs (id -1) is being stopped already: not waited for.
      const running = () => slots.some((s) => s.job && s.job.id !== -1);
      if (running())
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            idleWaiters.delete(check);
            resolve();
          };
          const check = () => running() || done();
          const timer = setTimeout(done, opts.closeWaitMs ?? 2_000);
          idleWaiters.add(check);
        });
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
