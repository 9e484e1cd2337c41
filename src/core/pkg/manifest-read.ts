/** A package's manifest.json read without unpacking the package (archive.ts unpacks it). */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import { VerificationError } from '../errors.js';
import { isGzipHead } from './archive-checks.js';

export const DOWNLOAD_AGAIN = 'Download it again; if it persists, report it to the publisher.';
export const NOT_A_PACKAGE =
  'It is not a BlueprintOS package (one holds manifest.json and payload/): make packages with `blueprint repo build`, or ask its publisher.';

/** Reads only manifest.json from a package, without unpacking it. */
export async function readManifestBytes(file: string): Promise<Buffer> {
  const sink = await manifestSink(path.basename(file));
  for await (const chunk of createReadStream(file)) if (!sink.write(chunk as Buffer)) break;
  return sink.end();
}

/**
 * manifest.json's bytes from a package's bytes written to it chunk by chunk, as they are read
 * (readManifestBytes from a file; a dry run from the one read of a package file it also hashes and
 * verifies, local-read-once.ts). `write` answers false once the archive is refused (read no more);
 * `end` throws that refusal, or the package's lack of a manifest. Each chunk must be a buffer of
 * its own: the parser may keep a view of it.
 */
export async function manifestSink(
  name: string,
): Promise<{ write: (chunk: Buffer) => boolean; end: () => Promise<Buffer> }> {
  const parts: Buffer[] = [];
  let found = false;
  let started = false;
  let failed: unknown;
  const { Parser } = await import('tar');
  const parser = new Parser({
    filter: (p: string) => p.replace(/^(\.\/)+/, '') === 'manifest.json',
    onReadEntry: (entry: ReadEntry) => {
      found = true;
      entry.on('data', (c: Buffer) => parts.push(c));
    },
  });
  const ended = new Promise<void>((resolve) => {
    parser.on('end', () => resolve());
    parser.on('error', (err: Error) => {
      failed ??= new VerificationError(
        `Corrupt package archive ${name}: ${err.message}`,
        'bad-archive',
        DOWNLOAD_AGAIN,
      );
      resolve();
    });
  });
  return {
    write(chunk) {
      if (failed !== undefined) return false;
      try {
        // Refuses xz, zstd, bzip2 by name before the tar parser calls them unrecognized.
        if (!started) isGzipHead(chunk.subarray(0, 6));
        started = true;
        parser.write(chunk);
      } catch (err) {
        failed ??= err;
      }
      return failed === undefined;
    },
    async end() {
      if (failed === undefined) {
        parser.end();
        await ended;
      }
      if (failed !== undefined) throw failed;
      if (!found) throw new VerificationError(`${name} has no manifest.json`, 'bad-archive', NOT_A_PACKAGE);
      return Buffer.concat(parts);
    },
  };
}
