/**
 * The worker-thread side of the kit's pool: the heavy work (tokenising, inference, …) runs here,
 * so the event loop that accepts connections and answers /health never waits for it.
 *
 *   serveJobs(async (data, log) => ({ ready: info, handle: async (payload) => result }));
 *
 * `data` is the pool's workerData; `ready` goes back to the pool once; `handle` runs one job at a
 * time. Typed arrays in the result are transferred, not copied. Errors travel with their name and
 * own fields so the module can map them (e.g. to 413). Imports nothing relative: Node's type
 * stripping can load it as it is.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface Jobs<R> {
  ready: R;
  handle(payload: unknown): Promise<unknown> | unknown;
  /** Called right after the answer of the job just handled was posted (not after a failure). */
  posted?(): void;
}

export type WorkerMessage =
  | { type: 'ready'; value: unknown }
  | { type: 'fatal'; message: string }
  | { type: 'log'; line: string }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: { name: string; message: string; fields: Record<string, unknown> } };

/** ArrayBuffers under typed arrays in `value` (two levels deep), to transfer instead of copy. */
function buffersOf(value: unknown, depth = 0, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    if (b instanceof ArrayBuffer && b.byteLength === value.byteLength && !out.includes(b)) out.push(b);
  } else if (depth < 3 && value && typeof value === 'object') {
    for (const v of Object.values(value)) buffersOf(v, depth + 1, out);
  }
  return out;
}

export function serveJobs<I, R>(init: (data: I, log: (line: string) => void) => Promise<Jobs<R>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs in a worker thread');
  const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const log = (line: string) => send({ type: 'log', line });
  init((workerData as { data: I }).data, log).then(
    (jobs) => {
      send({ type: 'ready', value: jobs.ready });
      port.on('message', async (m: { id: number; payload: unknown }) => {
        let done = false;
        try {
          const value = await jobs.handle(m.payload);
          send({ type: 'done', id: m.id, value }, buffersOf(value));
          done = true;
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          const fields = Object.fromEntries(
            Object.entries(e).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)),
          );
          send({ type: 'failed', id: m.id, error: { name: e.name, message: e.message, fields } });
        }
        if (done) jobs.posted?.();
      });
    },
    (err: unknown) => send({ type: 'fatal', message: (err as Error)?.message ?? String(err) }),
  );
}
