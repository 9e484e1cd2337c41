// Built-in modules only: the same string runs from the single executable (whose own modules are
// not files a worker could load) and from the sources under test.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { file, algorithm, suffix } = workerData;
const hash = createHash(algorithm);
const fd = openSync(file, 'r');
const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
try {
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
} finally {
  closeSync(fd);
}
hash.update(suffix);
parentPort.postMessage(hash.digest());
`;

/** The hash algorithms a detached signature may use here, by OpenPGP name → Node name. */
const NODE_NAMES: Record<string, string> = {
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};

export const canDigest = (openpgpName: string): boolean => openpgpName in NODE_NAMES;

/**
 * The digest of a file's bytes followed by `suffix`, computed on a worker thread: hashing a
 * multi-GB package then runs on a second core while the main thread unpacks it.
 */
export function digestFile(file: string, openpgpName: string, suffix: Uint8Array): Promise<Uint8Array> {
  const algorithm = NODE_NAMES[openpgpName];
  if (!algorithm) return Promise.reject(new Error(`no digest worker for ${openpgpName}`));
  return new Promise((resolve, reject) => {
    // node:worker_threads when a file is digested: every `bpkg update` loads this module (signature.ts)
    // and digests none (~2 ms of its CPU, issue 20).
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const worker = new Worker(WORKER, { eval: true, workerData: { file, algorithm, suffix } });
    worker.once('message', (digest: Uint8Array) => resolve(new Uint8Array(digest)));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`digest worker exited with ${code}`));
    });
  });
}
