// How the console's process loads and keeps its memory (issue 20): see scripts/bench/tui.mjs.
// Built-ins only: its tests load it in a Node process of its own, without the TypeScript loader.

/**
 * Ink's layout engine (yoga-layout) instantiates its WebAssembly from a data: URL, through `fetch`
 * when there is one: that loads and compiles Node's undici, and keeps it, only to decode bytes the
 * bundle already holds. Without `fetch` its loader decodes them itself. Hidden only while Ink loads (yoga's instantiation is part of that
 * import); nothing else runs meanwhile that would fetch.
 */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const own = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!own?.configurable) return load();
  delete (globalThis as { fetch?: unknown }).fetch;
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', own);
  }
}

/** Start-up is over once the first screens are drawn and their data read. */
export const SETTLE_MS = 3000;

/**
 * Loading Ink, React and the screens grows V8's young generation to its 16 MiB limit (start-up
 * allocates in a burst), and each screen's data grows the heap again; an idle console keeps those
 * pages. A collection that asks V8 to reduce its footprint, run once start-up settles and once the
 * console is left alone after a key (src/tui/index.ts), gives them back (anonymous memory 53 → 33-35
 * MiB after visiting every screen, `npm run bench -- tui`). `gc` is V8's own, taken from a fresh
 * context and the flag put back.
 */
export function shrinkHeap(): void {
  const v8 = process.getBuiltinModule('node:v8');
  const vm = process.getBuiltinModule('node:vm');
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (o: object) => void;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // Memory only: a V8 without the option keeps its heap as it is.
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/**
 * V8 settings for a console that mostly waits, set at run time (the executable takes no V8 flags).
 * Measured after every screen and 20-30 s on the Dashboard (`npm run bench -- tui`). Before Ink
 * loads: without the optimising compilers (`--no-opt`, `--no-maglev`) their code is never paged in
 * from the executable nor run on worker threads (4 MiB fewer file pages, 2-3 MiB fewer anonymous);
 * `--no-wasm-tier-up` keeps Yoga's WebAssembly on its baseline compiler (Liftoff), but for the
 * couple of functions V8's dynamic tiering moves to TurboFan by the first paint, as it did under
 * `--liftoff-only` set at run time (`--no-wasm-dynamic-tiering` too: no faster, docs/figures.md). Not
 * `--liftoff-only` (a V8 testing flag), which made Liftoff's bailout fatal: Liftoff needs SSE4.1 on
 * x86-64, and on a CPU without it (QEMU's default qemu64 model, Proxmox's old kvm64, CPUs from
 * before 2008) the console and the first-boot wizard aborted before their first frame ("Cause: no
 * SSE4.1"). Now such a CPU compiles Yoga with TurboFan, as V8 does by default.
 */
export const START_FLAGS = ['--no-opt', '--no-maglev', '--no-wasm-tier-up'] as const;

/**
 * Once start-up settles: `--optimize-for-size` keeps the young generation from growing back to
 * 16 MiB and makes V8 collect the old one after 2 MiB of growth, not 8 (the Dashboard's 2 s reads
 * are promoted: an idle console went from 81 to 92 MiB in 30 s). Not before the first paint: with a
 * small young generation start-up spent ~25 ms more of CPU collecting.
 */
export const SETTLED_FLAGS = ['--optimize-for-size'] as const;

/**
 * What the console part loads as it starts and paints that Node does not load first: React's
 * scheduler reads `performance` (9 modules), ansi-escapes' environment check `navigator`, and Ink's
 * signal-exit requires node:assert (7 modules, `process.moduleLoadList` at the first paint). Loaded
 * before START_FLAGS (src/tui/index.ts): V8 takes a code cache only under the flags it was made
 * with, and Node's built-ins carry one made under its defaults, so a built-in loaded after
 * START_FLAGS is compiled from source (node:crypto and five others: 7 ms of CPU before, 21-25 after).
 */
export const PAINT_GLOBALS = ['performance', 'navigator'] as const;
// node:fs/promises: the Dashboard's reads (hostFacts, the service inspection's module) use it; it
// came before START_FLAGS by folder-writers.ts's static import until that file took its stat from
// node:fs (the service start path must not load it: test/services/start-modules).
export const PAINT_BUILTINS = ['node:assert', 'node:fs/promises'] as const;

/** Loads PAINT_GLOBALS' and PAINT_BUILTINS' modules while Node's code cache for them applies. */
export function loadPaintBuiltins(): void {
  for (const g of PAINT_GLOBALS) void (globalThis as Record<string, unknown>)[g];
  for (const b of PAINT_BUILTINS) process.getBuiltinModule(b);
}

let lean = false;

const setFlags = (flags: readonly string[]) => {
  const v8 = process.getBuiltinModule('node:v8');
  for (const f of flags) {
    try {
      v8.setFlagsFromString(f);
    } catch {
      // Memory only: a V8 that refuses one keeps its default.
    }
  }
};

/** Applies START_FLAGS (or `flags`) to this process (the console's, src/tui/index.ts). */
export function leanHeap(flags: readonly string[] = START_FLAGS): void {
  setFlags(flags);
  lean = true;
}

/**
 * While an operation runs (an install verifying an index, an upgrade, the wizard's apply), V8 may
 * optimise again: interpreted JavaScript runs a hot loop ~10x slower. Returns the function that
 * goes back to lean. Does nothing where leanHeap was not called (the tests' processes).
 */
export function fullSpeed(): () => void {
  if (!lean) return () => {};
  setFlags(['--opt', '--maglev']);
  return () => {
    if (lean) setFlags(['--no-opt', '--no-maglev']);
  };
}
