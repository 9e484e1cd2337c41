/**
 * Node's built-ins for the modules of the executable's start part (the quick `bpkg search` and
 * `bpkg update`: src/cli/commands/pkg-quick.ts), taken when first used instead of imported. An
 * import there would run at every start, `--json version` included: esbuild's CommonJS interop
 * copies node:fs's hundred exports, and node:crypto takes ~4 ms of CPU to load (issue 20).
 */
export const nodeFs = () => process.getBuiltinModule('node:fs');
export const nodeCrypto = () => process.getBuiltinModule('node:crypto');

/** A file's bytes, read synchronously (one read(2) loop, no thread-pool trips); undefined when it cannot be read. */
export function readBytes(file: string): Buffer | undefined {
  try {
    return nodeFs().readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * A JSON file parsed, or undefined when it does not exist; any other error is thrown (as
 * readJsonIfExists in system/fs.ts, whose fs.promises the quick commands need not load).
 */
export function readJsonSync<T>(file: string): T | undefined {
  let text: string;
  try {
    text = nodeFs().readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** The repository configurations' file names (`repos.d/*.json`), sorted; none when the folder cannot be read. */
export function repoConfigFiles(reposDir: string): string[] {
  try {
    return nodeFs()
      .readdirSync(reposDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Reads `file` from `start` in pieces into `piece`, handing each to `each` (a view of `piece`:
 * used before the next read) with its offset, until the end or until `each` says false. Whether
 * the whole file was read so; false when it cannot be opened or read. For bytes that are only
 * compared or hashed (the quick update: a 2.6 MB kept index and its cache), which then need no
 * buffer of their own (~600 fresh pages to fault in and free each).
 */
export function eachPiece(
  file: string,
  piece: Buffer,
  each: (bytes: Buffer, at: number) => boolean,
  start = 0,
): boolean {
  const fs = nodeFs();
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    for (let at = start; ; ) {
      const n = fs.readSync(fd, piece, 0, piece.length, at);
      if (n === 0) return true;
      if (!each(piece.subarray(0, n), at)) return false;
      at += n;
    }
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether `file` holds exactly the bytes of `parts`, one after the other, compared in pieces read
 * into `piece` (eachPiece: what is only compared needs no buffer of its own).
 */
export function sameBytesAs(file: string, parts: Uint8Array[], piece: Buffer): boolean {
  let total = 0;
  for (const p of parts) total += p.length;
  let end = 0;
  let k = 0; // the part the next byte is compared with,
  let off = 0; // and where in it
  const read = eachPiece(file, piece, (bytes, at) => {
    end = at + bytes.length;
    if (end > total) return false;
    for (let i = 0; i < bytes.length; ) {
      const p = parts[k]!;
      const n = Math.min(p.length - off, bytes.length - i);
      if (!bytes.subarray(i, i + n).equals(p.subarray(off, off + n))) return false;
      i += n;
      off += n;
      if (off === p.length) {
        k++;
        off = 0;
      }
    }
    return true;
  });
  return read && end === total;
}
