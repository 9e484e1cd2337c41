import { createReadStream } from 'node:fs';
import type { ReadEntry } from 'tar';

/** ELF e_machine values of the CPUs a package may be built for. */
const MACHINES: Record<number, string> = { 62: 'x86_64', 183: 'aarch64' };

/** The CPU an ELF header names (`machine-N` for others); undefined when `head` is not ELF. */
export function elfArch(head: Buffer): string | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the half-word at 18.
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  return MACHINES[machine] ?? `machine-${machine}`;
}

/**
 * Every ELF file in an image archive (`podman save --format docker-archive`: a tar of layer
 * tars) with the CPU it is built for, by path in the image. Only the first bytes of each file are
 * kept. A module's image must hold programs for the architecture its package is labelled with
 * (issue 22): this is how `repo build --arch` checks it, whatever built them.
 */
export async function elfFilesInImage(archive: string): Promise<Map<string, string>> {
  const { Parser } = await import('tar');
  const found = new Map<string, string>();
  const layers: Promise<void>[] = [];
  const scanLayer = (layer: ReadEntry) =>
    new Promise<void>((resolve, reject) => {
      const inner = new Parser({
        onReadEntry: (entry: ReadEntry) => {
          if (entry.type !== 'File') return entry.resume();
          const head: Buffer[] = [];
          let size = 0;
          entry.on('data', (c: Buffer) => {
            if (size < 20) head.push(c);
            size += c.length;
          });
          entry.on('end', () => {
            const arch = elfArch(Buffer.concat(head));
            if (arch) found.set(`/${entry.path.replace(/^(\.\/)+/, '')}`, arch);
          });
        },
      });
      inner.on('error', reject);
      inner.on('end', () => resolve());
      layer.pipe(inner as unknown as NodeJS.WritableStream);
    });
  const outer = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type === 'File' && entry.path.endsWith('.tar')) layers.push(scanLayer(entry));
      else entry.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    const source = createReadStream(archive);
    source.on('error', reject);
    outer.on('error', reject);
    outer.on('end', () => resolve());
    source.pipe(outer as unknown as NodeJS.WritableStream);
  });
  await Promise.all(layers);
  return found;
}
