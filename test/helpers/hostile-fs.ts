/**
 * A hostile USB stick or NFS server in a test: it serves different bytes on every open. A test
 * mocks node:fs and node:fs/promises with `wrapFs` and `wrapFsPromises` (vi.mock factories that
 * import this file), then `whileHostile(file, first, fn)`: the first open of `file` in this
 * process gets the bytes of `first`, every later open (and any plain read of the path) its own.
 * Nothing here imports node:fs: this file is loaded by the mocks of node:fs themselves.
 */
export const hostile = { path: '', first: '', opens: 0 };

/** The path to really open: the first open of the hostile file gets `first`. */
function redirect(p: unknown): unknown {
  if (!hostile.path || (typeof p !== 'string' && !(p instanceof URL))) return p;
  const s = p instanceof URL ? decodeURIComponent(p.pathname) : p;
  if (s !== hostile.path) return p;
  hostile.opens++;
  return hostile.opens === 1 ? hostile.first : p;
}

type Fn = (...x: unknown[]) => unknown;
const through =
  (real: Record<string, unknown>, name: string) =>
  (p: unknown, ...a: unknown[]) =>
    (real[name] as Fn)(redirect(p), ...a);

function wrap<T extends object>(real: T, names: string[]): T {
  const wrapped = Object.fromEntries(names.map((n) => [n, through(real as Record<string, unknown>, n)]));
  return { ...real, ...wrapped, default: { ...real, ...wrapped } };
}

export const wrapFs = <T extends object>(real: T): T =>
  wrap(real, ['createReadStream', 'openSync', 'readFileSync', 'copyFileSync']);

export const wrapFsPromises = <T extends object>(real: T): T =>
  wrap(real, ['open', 'readFile', 'copyFile', 'cp']);

/** Runs `fn` while `file` serves the bytes of `first` on its first open and its own bytes after. */
export async function whileHostile<T>(
  file: string,
  first: string,
  fn: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; opens: number }> {
  Object.assign(hostile, { path: file, first, opens: 0 });
  try {
    const result = await fn().then(
      (value): { value?: T; error?: unknown } => ({ value }),
      (error: unknown) => ({ error }),
    );
    return { ...result, opens: hostile.opens };
  } finally {
    Object.assign(hostile, { path: '', first: '', opens: 0 });
  }
}
