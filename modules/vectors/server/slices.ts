/**
 * Work of a request that may outlast a slice of its time (deadline.ts) but is not a loop over an
 * index range (inRuns): the unions of indexed values, their intersection, sorts by id, maximal
 * marginal relevance. Each is a generator that yields every EVERY + 1 items or so; sliced() runs it
 * in the calling turn while the request's slice lasts (a small one answers at once, as before),
 * then a slice per turn of the event loop, and past the deadline ends it with Qdrant's timeout.
 * Before, these looked at the deadline only: one request held the event loop (and /health) until
 * its deadline, 10 s by default (test/security/vectors-loop-slices.test.ts).
 */
import { type Deadline, EVERY } from './deadline.js';

export type Work<T> = Generator<void, T, void>;

/**
 * The work's result: at once when it fits the slice (or there is no deadline), else later, `first`
 * called once before the first pause.
 */
export function sliced<T>(work: Work<T>, dl: Deadline | undefined, first?: () => void): T | Promise<T> {
  const run = (): IteratorResult<void, T> => {
    for (;;) {
      const r = work.next();
      if (r.done || dl?.spent()) return r;
    }
  };
  let r = run();
  if (r.done) return r.value;
  first?.();
  return (async () => {
    do {
      await dl!.pause();
      r = run();
    } while (!r.done);
    return r.value;
  })();
}

/** `f` of a value that may come later (then a Promise of its result). Not named `then`: a module exporting `then` is a thenable to import(). */
export function andThen<T, U>(x: T | Promise<T>, f: (v: T) => U | Promise<U>): U | Promise<U> {
  return x instanceof Promise ? x.then(f) : f(x);
}

/** Items sorted by the engine's sort at once (a few ms at most); longer runs are merged. */
export const SORT_RUN = 2048;

/**
 * `a` sorted by `cmp` (stable, as Array.prototype.sort): runs of SORT_RUN sorted at once, then merged
 * pairwise, a yield every EVERY + 1 items placed. `a` is the caller's to give up (it is reused).
 */
export function* sortWork<T>(a: T[], cmp: (x: T, y: T) => number): Work<T[]> {
  const n = a.length;
  if (n <= SORT_RUN) return a.sort(cmp);
  for (let i = 0; i < n; i += SORT_RUN) {
    const run = a.slice(i, i + SORT_RUN).sort(cmp);
    for (let j = 0; j < run.length; j++) a[i + j] = run[j]!;
    yield;
  }
  let src = a;
  let dst = new Array<T>(n);
  for (let width = SORT_RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; ) {
        const end = Math.min(hi, k + EVERY + 1);
        while (k < end) dst[k++] = i < mid && (j >= hi || cmp(src[i]!, src[j]!) <= 0) ? src[i++]! : src[j++]!;
        yield;
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}
