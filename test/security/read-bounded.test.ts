import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  readdirSync,
  readSync,
  realpathSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BoundedOptions,
  openRegular,
  pathOfFd,
  readBoundedFile as readBounded,
  statRegular,
} from '../../src/core/system/read-bounded.js';
import { tempDir } from '../setup/temp-registry.js';

// The one read of an untrusted file (a token, a detached signature, a credentials file, a
// repository's index): opened without waiting and judged on its descriptor, then read at most
// once up to its size + 1 bytes. Each case here is something a hostile folder can put at the name.

const dir = tempDir('bp-read-bounded-');
const at = (name: string) => path.join(dir, name);

// Both ways of reading judge alike: node:fs's callbacks, and its synchronous calls (`now`, for a
// command's small files: services/registry.ts).
describe.each([
  ['callbacks', {}],
  ['synchronous calls (now)', { now: true }],
] as const)('readBoundedFile over node:fs %s', (_way, mode: BoundedOptions) => {
  const sub = path.join(dir, mode.now ? 'now' : 'callbacks');
  mkdirSync(sub, { recursive: true });
  const at = (name: string) => path.join(sub, name);
  const readBoundedFile = (file: string, max: number, opts: BoundedOptions = {}) =>
    readBounded(file, max, { ...opts, ...mode });

  it('a regular file within the bound: its bytes and its fstat', async () => {
    writeFileSync(at('ok'), 'hello\n');
    const r = await readBoundedFile(at('ok'), 64);
    expect(r.ok && [r.bytes.toString(), r.stat.size]).toEqual(['hello\n', 6]);
  });

  it('exactly the bound is read; one byte over is too large, and nothing is read', async () => {
    writeFileSync(at('exact'), 'x'.repeat(64));
    const r = await readBoundedFile(at('exact'), 64);
    expect(r.ok && r.bytes.length).toBe(64);
    writeFileSync(at('over'), 'x'.repeat(65));
    expect(await readBoundedFile(at('over'), 64)).toMatchObject({
      ok: false,
      why: 'too-large',
      stat: { size: 65 },
    });
    // A 1 TiB sparse file is judged by its size alone.
    writeFileSync(at('sparse'), '');
    truncateSync(at('sparse'), 1024 ** 4);
    expect(await readBoundedFile(at('sparse'), 64)).toMatchObject({ ok: false, why: 'too-large' });
  });

  it('an empty file is read as no bytes', async () => {
    writeFileSync(at('empty'), '');
    const r = await readBoundedFile(at('empty'), 64);
    expect(r.ok && r.bytes.length).toBe(0);
  });

  it('a FIFO is refused at once (open does not wait for a writer)', async () => {
    execFileSync('mkfifo', [at('fifo')]);
    expect(await readBoundedFile(at('fifo'), 64)).toMatchObject({ ok: false, why: 'not-a-file' });
    expect(await statRegular(at('fifo'))).toMatchObject({ ok: false, why: 'not-a-file' });
  });

  it('a folder or a device is not a file', async () => {
    mkdirSync(at('folder'));
    expect(await readBoundedFile(at('folder'), 64)).toMatchObject({ ok: false, why: 'not-a-file' });
    expect(await readBoundedFile('/dev/zero', 64)).toMatchObject({ ok: false, why: 'not-a-file' });
  });

  it('a symlink at the name is not followed unless asked (the path the user gave)', async () => {
    writeFileSync(at('target'), 'secret\n');
    symlinkSync(at('target'), at('link'));
    const r = await readBoundedFile(at('link'), 64);
    expect(r).toMatchObject({ ok: false, why: 'open', error: { code: 'ELOOP' } });
    const followed = await readBoundedFile(at('link'), 64, { followLink: true });
    expect(followed.ok && followed.bytes.toString()).toBe('secret\n');
    expect(await statRegular(at('link'))).toMatchObject({ ok: false, why: 'open', error: { code: 'ELOOP' } });
    expect(await statRegular(at('link'), { followLink: true })).toMatchObject({
      ok: true,
      stat: { size: 7 },
    });
  });

  it('a missing file: why open, with its error code', async () => {
    expect(await readBoundedFile(at('absent'), 64)).toMatchObject({
      ok: false,
      why: 'open',
      error: { code: 'ENOENT' },
    });
  });

  it('a file that grows after its fstat is refused, within the bound or past it, not cut short', async () => {
    for (const [name, more] of [
      ['grows', 'y'],
      ['grows-past', 'y'.repeat(100)],
    ] as const) {
      writeFileSync(at(name), 'x'.repeat(10));
      // `accept` runs on the descriptor's fstat, before the read: the file grows in between.
      const r = await readBoundedFile(at(name), 64, {
        accept: () => {
          appendFileSync(at(name), more);
          return true;
        },
      });
      expect(r).toMatchObject({ ok: false, why: 'grew', stat: { size: 10 } });
    }
  });

  it('accept judges the fstat before anything is read: false is refused', async () => {
    writeFileSync(at('loose'), 'x', { mode: 0o644 });
    const r = await readBoundedFile(at('loose'), 64, { accept: (st) => (st.mode & 0o077) === 0 });
    expect(r).toMatchObject({ ok: false, why: 'refused', stat: { size: 1 } });
  });
});

describe('openRegular (for a caller that streams the bytes)', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  it('a regular file: an open descriptor on it, and its fstat', async () => {
    writeFileSync(at('stream'), 'bytes\n');
    const r = await openRegular(at('stream'));
    if (!r.ok) throw new Error(r.why);
    const buf = Buffer.alloc(16);
    expect([buf.toString('utf8', 0, readSync(r.fd, buf, 0, 16, 0)), r.stat.size]).toEqual(['bytes\n', 6]);
    closeSync(r.fd);
  });

  it('a FIFO, a folder or a link at the name: refused at once, no descriptor left open', async () => {
    execFileSync('mkfifo', [at('stream-fifo')]);
    mkdirSync(at('stream-folder'));
    writeFileSync(at('stream-target'), 'x');
    symlinkSync(at('stream-target'), at('stream-link'));
    const before = openFds();
    expect(await openRegular(at('stream-fifo'))).toMatchObject({ ok: false, why: 'not-a-file' });
    expect(await openRegular(at('stream-folder'))).toMatchObject({ ok: false, why: 'not-a-file' });
    expect(await openRegular(at('stream-link'))).toMatchObject({ ok: false, error: { code: 'ELOOP' } });
    expect(openFds()).toBe(before);
    const followed = await openRegular(at('stream-link'), { followLink: true });
    expect(followed).toMatchObject({ ok: true, stat: { size: 1 } });
    if (followed.ok) closeSync(followed.fd);
  });
});

describe('pathOfFd', () => {
  it('says where the kernel opened a file: through a folder link, the folder it leads to', async () => {
    mkdirSync(at('real-folder'));
    writeFileSync(at('real-folder/f'), 'f');
    symlinkSync(at('real-folder'), at('folder-link'));
    const seen: (string | undefined)[] = [];
    for (const p of [at('real-folder/f'), at('folder-link/f')]) {
      const r = await readBounded(p, 64, {
        accept: (_st, fd) => {
          seen.push(pathOfFd(fd));
          return true;
        },
      });
      expect(r.ok).toBe(true);
    }
    const real = realpathSync(at('real-folder/f'));
    expect(seen).toEqual([real, real]);
  });
});

describe('repo publish reads the repository’s index through it', () => {
  it('a FIFO or a link as index.json is refused at once, before anything is sent', async () => {
    const { publishRepository } = await import('../../src/core/pkg/publish-remote.js');
    const repo = tempDir('bp-publish-index-');
    execFileSync('mkfifo', [path.join(repo, 'index.json')]);
    await expect(publishRepository(repo, 's3://bucket/prefix')).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('not a regular file'),
    });
    const other = tempDir('bp-publish-index-');
    writeFileSync(path.join(other, 'elsewhere.json'), '{"packages":[]}');
    rmSync(path.join(repo, 'index.json'));
    symlinkSync(path.join(other, 'elsewhere.json'), path.join(repo, 'index.json'));
    await expect(publishRepository(repo, 's3://bucket/prefix')).rejects.toMatchObject({ code: 'not-found' });
  }, 10_000);
});
