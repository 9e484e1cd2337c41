// How the console's process loads and keeps its memory (issue 20): see scripts/bench/tui.mjs.
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
 * allocates in a burst); an idle console then keeps those pages. One collection that asks V8 to
 * reduce its footprint, once start-up is over, gives them back (about 10 MiB of the console's
 * resident memory, `npm run bench -- tui`); the console's steady allocation does not grow it
 * again. `gc` is V8's own, taken from a fresh context and the flag put back.
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
