import type { FileHandle } from 'node:fs/promises';
import type { GgufInfo } from './gguf.js';

/**
 * A GGUF file's metadata, read once per version of the file in a long-lived process. The console's
 * Services screen asks a running llm's status every 10 s (tui/running-limits.ts), and its next
 * start's memory limit reads each mounted model's metadata: a real model's vocabulary and merges
 * (a Qwen2.5-7B-shaped header is 5.9 MB, 300,000 strings walked) took ~110 ms of CPU a model a read
 * (CONSOLE3's report). The file's identity and change stamps (device, inode, size, mtime and ctime
 * in ns, from the open handle) say whether it is the file read before: a model replaced, rewritten
 * or renamed over is read again. Failed reads are not kept (the caller's check says why each time).
 */
const MAX_KEPT = 64;
const kept = new Map<string, { stamp: string; metadata: GgufInfo['metadata'] }>();

export async function ggufMetadataOf(file: string, fh: FileHandle): Promise<GgufInfo['metadata']> {
  const st = await fh.stat({ bigint: true });
  const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const hit = kept.get(file);
  if (hit?.stamp === stamp) return hit.metadata;
  const { readGgufInfo } = await import('./gguf.js');
  const { metadata } = await readGgufInfo(fh, Number(st.size));
  kept.delete(file);
  if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(file, { stamp, metadata });
  return metadata;
}
