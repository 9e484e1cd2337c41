/**
 * A tar writer for the package-manager tests' hand-made archives (publishRaw in ./pkg.ts, the
 * hostile archives of ./hostile-archives.ts): each entry written as given through node-tar's
 * Header, fixed mtime 0 and owner root. The fuzzers' writer (test/fuzz/support/tar.ts) goes
 * further (lying size fields, patched headers); this one writes well-formed headers only.
 */
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  mode?: number;
  data?: string | Buffer;
  linkpath?: string;
  size?: number;
}

/**
 * Writes a tar archive entry by entry, with no safety of its own: the only way to make the hostile
 * archives (`../`, absolute paths, devices, set-id bits, duplicates) that a package manager must refuse.
 */
export function rawTar(entries: RawEntry[], gzip = true): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? 'File';
    const h = new Header({
      path: e.path,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      size: type === 'File' ? (e.size ?? data.length) : 0,
      type,
      ...(e.linkpath ? { linkpath: e.linkpath } : {}),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(type === 'CharacterDevice' ? { devmaj: 1, devmin: 3 } : {}),
    });
    const hb = Buffer.alloc(512);
    h.encode(hb);
    blocks.push(hb);
    if (type === 'File' && data.length) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  const tarBytes = Buffer.concat(blocks);
  return gzip ? gzipSync(tarBytes) : tarBytes;
}
