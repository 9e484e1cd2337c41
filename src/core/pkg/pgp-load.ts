import { type FileHandle, open } from 'node:fs/promises';
import type * as OpenPGP from 'openpgp';

/**
 * OpenPGP.js, loaded by the first function that needs it (signature.ts verifying, signing.ts
 * signing): its 770 KB and its start-up work (cipher tables) would otherwise cost every command
 * that only reads the verified indexes (`bpkg search`, `list`, `info`) ~60 ms.
 */
let openpgp: typeof OpenPGP | undefined;
export async function loadOpenpgp(): Promise<typeof OpenPGP> {
  openpgp ??= await import('openpgp');
  return openpgp;
}

/**
 * A file as a web stream of 4 MiB chunks read straight into fresh buffers. OpenPGP.js hashes each
 * chunk natively; with Node's Readable.toWeb adapter and 1 MiB chunks the stream plumbing cost
 * twice the hashing (measured on a 100 MB package).
 */
function fileChunks(file: string, chunkBytes = 4 * 1024 * 1024): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        handle = await open(file, 'r');
      },
      async pull(controller) {
        try {
          const buf = Buffer.allocUnsafe(chunkBytes);
          const { bytesRead } = await handle!.read(buf, 0, chunkBytes, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
          } else {
            controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
          }
        } catch (err) {
          await close();
          controller.error(err);
        }
      },
      cancel: close,
    },
    { highWaterMark: 2 },
  );
}

/** The signed data as an OpenPGP message: bytes, or a file streamed in chunks. */
export async function messageOf(data: Uint8Array | { file: string }) {
  const pgp = await loadOpenpgp();
  return pgp.createMessage({ binary: 'file' in data ? fileChunks(data.file) : data });
}

/**
 * What a v4 signature hashes after the signed data (RFC 4880, 5.2.4): its hashed signature data,
 * then 0x04 0xFF and that data's length. Hashing the data with this suffix off-thread stands in
 * for OpenPGP.js's own hashing, when signing (signing.ts) and verifying (signature.ts).
 */
export function v4HashSuffix(signatureData: Uint8Array): Buffer {
  const trailer = Buffer.alloc(6);
  trailer.writeUInt8(4, 0);
  trailer.writeUInt8(0xff, 1);
  trailer.writeUInt32BE(signatureData.length, 2);
  return Buffer.concat([signatureData, trailer]);
}
