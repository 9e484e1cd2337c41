/**
 * What a folder repository serves that is not a plain file of bounded size (issue 20, the
 * reviewer's FIFO and 256 MB cases: test/security/quick-sig-attacks.test.ts). The quick update
 * (src/core/pkg/update-fast.ts, readAlongside in node-lazy.ts) must decline at once, reading
 * nothing past its bounds, and the package manager's file transport (transport.ts) must refuse
 * with a typed error instead of waiting: open(2) of a FIFO without O_NONBLOCK waits for a writer
 * for good, on the main thread in the quick path (SIGINT and SIGTERM are caught there).
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { quickUpdate } from '../../src/app/pkg-quick.js';
import { readAlongside } from '../../src/core/pkg/node-lazy.js';
import { fetchBytes } from '../../src/core/pkg/transport.js';
import { updateBox } from '../../src/core/pkg/update.js';
import {
  listsSnapshot,
  serveCopy,
  type TestKey,
  tempDir,
  trustingRoot,
  twoPackageRepo,
} from '../helpers/pkg.js';

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await twoPackageRepo());
});

/** A copy of the repository served in place of the original, with `fifo` made a FIFO when asked. */
function serveWith(root: string, fifo?: string): string {
  const served = serveCopy(root, repo);
  if (fifo) {
    mkdirSync(path.dirname(path.join(served, fifo)), { recursive: true });
    rmSync(path.join(served, fifo), { force: true });
    execFileSync('mkfifo', [path.join(served, fifo)]);
  }
  return served;
}

/**
 * A safety valve for a FIFO: after 8 s, another process opens it for writing without waiting
 * (O_NONBLOCK: ENXIO when no one is opening it for reading), which ends a reader's wait in
 * open(2), so that a regression fails the test instead of hanging the worker. `needed()` stops
 * the valve and says whether it had to open the FIFO, or its time came (a reader that blocked the
 * event loop that long waited for it): a reader that opened without waiting and went away leaves
 * it nothing to do. A check that nothing hangs, not a timing: the fixed paths take milliseconds.
 */
function valve(fifo: string): { needed: () => Promise<boolean> } {
  const script = `setTimeout(() => { const fs = require('node:fs'); try {
    fs.closeSync(fs.openSync(process.argv[1], fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); process.exit(3);
  } catch { process.exit(0); } }, 8000);`;
  const child = spawn(process.execPath, ['-e', script, fifo], { stdio: 'ignore' });
  const started = Date.now();
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    needed: async () => {
      const waited = Date.now() - started >= 8000;
      child.kill();
      return (await closed) === 3 || waited;
    },
  };
}

describe('a FIFO served by a folder repository', () => {
  it('the quick update declines at once, whether it is the signature, the rotation notice or the index', async () => {
    for (const name of ['index.json.asc', 'keys/rotation.json', 'index.json']) {
      const root = await trustingRoot(key, repo);
      const served = serveWith(root, name);
      const before = listsSnapshot(root);
      const v = valve(path.join(served, name));
      const out = await quickUpdate(root);
      expect(await v.needed(), name).toBe(false);
      expect(out, name).toBeUndefined();
      expect(listsSnapshot(root), name).toEqual(before);
    }
  });

  it('the package manager refuses it with a typed error (not-a-file), as it refuses a folder', async () => {
    for (const name of ['index.json.asc', 'index.json', 'keys/rotation.json']) {
      const root = await trustingRoot(key, repo);
      const served = serveWith(root, name);
      const v = valve(path.join(served, name));
      const [out] = await updateBox(root);
      expect(await v.needed(), name).toBe(false);
      expect(out?.ok, name).toBe(false);
      expect(out?.error?.code, name).toBe('not-a-file');
    }
    const dir = tempDir();
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(path.join(dir, 'folder'));
    for (const p of [fifo, path.join(dir, 'folder')]) {
      const v = valve(fifo);
      await expect(fetchBytes(pathToFileURL(p).href, 1024)).rejects.toMatchObject({ code: 'not-a-file' });
      expect(await v.needed()).toBe(false);
    }
  });

  it('readAlongside refuses a FIFO or a folder as the served file, and a FIFO as a side', async () => {
    const dir = tempDir();
    const fifo = path.join(dir, 'pipe');
    const plain = path.join(dir, 'plain');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(plain, 'some bytes');
    const none = new Uint8Array(0);
    const side = (file: string) => [{ file, before: none, after: none }];
    expect(readAlongside(plain, 1024, side(plain), () => {})).toBe(true);
    for (const [file, sides] of [
      [fifo, side(plain)],
      [fifo, []],
      [plain, side(fifo)],
      [dir, []],
    ] as const) {
      const v = valve(fifo);
      expect(
        readAlongside(file, 1024, [...sides], () => {}),
        file,
      ).toBe(false);
      expect(await v.needed(), file).toBe(false);
    }
  });
});

describe('a signature or rotation notice larger than its bound', () => {
  /** The largest read asked of node:fs while `f` runs: a buffer read whole, or one readSync's length. */
  async function largestRead<T>(f: () => Promise<T>): Promise<{ out: T; largest: number }> {
    const fs = process.getBuiltinModule('node:fs');
    const { readFileSync: whole, readSync: some } = fs;
    let largest = 0;
    const spies = [
      vi.spyOn(fs, 'readFileSync').mockImplementation(((...args: Parameters<typeof whole>) => {
        const out = whole(...args);
        largest = Math.max(largest, out.length);
        return out;
      }) as typeof whole),
      vi.spyOn(fs, 'readSync').mockImplementation(((
        fd: number,
        buf: NodeJS.ArrayBufferView,
        ...rest: unknown[]
      ) => {
        const length = typeof rest[1] === 'number' ? rest[1] : buf.byteLength;
        largest = Math.max(largest, length);
        return (some as (...a: unknown[]) => number)(fd, buf, ...rest);
      }) as typeof some),
    ];
    try {
      return { out: await f(), largest };
    } finally {
      for (const s of spies) s.mockRestore();
    }
  }

  it('is declined having read no more than its bound and one byte (a 256 MB sparse file)', async () => {
    for (const [name, bound] of [
      ['index.json.asc', 64 * 1024],
      ['keys/rotation.json', 256 * 1024],
    ] as const) {
      const root = await trustingRoot(key, repo);
      const served = serveWith(root);
      mkdirSync(path.join(served, 'keys'), { recursive: true });
      writeFileSync(path.join(served, name), '');
      truncateSync(path.join(served, name), 256 * 1024 * 1024);
      const before = listsSnapshot(root);
      const { out, largest } = await largestRead(() => quickUpdate(root));
      expect(out, name).toBeUndefined();
      expect(largest, name).toBeLessThanOrEqual(bound + 1);
      expect(listsSnapshot(root), name).toEqual(before);
      // Grown to within its bound again, the signature is read and the update is quick.
      if (name === 'index.json.asc') {
        cpSync(path.join(repo, name), path.join(served, name));
        expect(await quickUpdate(root)).toHaveLength(1);
      }
    }
  });

  it('a signature that grows after its size was taken is declined: bytes are read once, from what was judged', async () => {
    const root = await trustingRoot(key, repo);
    serveWith(root);
    expect(await quickUpdate(root)).toHaveLength(1);
    // fstat of the signature's descriptor says one byte less than it holds: the file grew since.
    const fs = process.getBuiltinModule('node:fs');
    const real = fs.fstatSync;
    const spy = vi.spyOn(fs, 'fstatSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
      const st = (real as (...a: unknown[]) => import('node:fs').Stats)(fd, ...rest);
      if (readlinkSync(`/proc/self/fd/${fd}`).endsWith('index.json.asc')) st.size -= 1;
      return st;
    }) as typeof real);
    try {
      expect(await quickUpdate(root)).toBeUndefined();
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await quickUpdate(root)).toHaveLength(1);
  });
});
