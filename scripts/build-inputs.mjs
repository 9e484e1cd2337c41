// What dist/ is built from, as one digest: `npm run build -- --if-stale` (scripts/test-image.sh)
// keeps dist/ when it is unchanged. A rebuild is never byte-identical (its code caches are made by
// running it), so without this every image test rebuilt the executable and, seeing a new one, the
// whole image (scripts/build-image.sh --if-stale digests the executable).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The paths the build reads: the sources, the build scripts, what src/ imports from modules/ (the
 * kit's client; llm's model memory estimate and GGUF types, src/core/services/model-memory.ts and
 * src/core/models/describe.ts: missing here, a change to them left --if-stale's dist/ "up to date";
 * test/build/build-inputs guards it), the lock.
 */
export const INPUTS = [
  'src',
  'scripts',
  'modules/kit',
  'modules/llm/server/memory.ts',
  'modules/llm/server/gguf-types.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];

/**
 * sha256 over every file under INPUTS that git tracks or would track (untracked, not ignored), each
 * with its path, and the build's options but --if-stale. Undefined where git cannot list them: build.
 */
export function buildInputsDigest(root, argv) {
  let files;
  try {
    files = execFileSync(
      'git',
      ['-C', root, 'ls-files', '-z', '-co', '--exclude-standard', '--', ...INPUTS],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 64 << 20,
      },
    )
      .toString()
      .split('\0')
      .filter(Boolean);
  } catch {
    return undefined;
  }
  const hash = createHash('sha256');
  hash.update(JSON.stringify(argv.filter((a) => a !== '--if-stale')));
  for (const file of [...new Set(files)].sort()) {
    let bytes;
    try {
      bytes = readFileSync(path.join(root, file));
    } catch {
      continue; // listed by git, deleted in the work tree
    }
    hash.update(`\0${file}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
